// The service checks' accepting side: what a check must let through (the refusing side is
// test/hostile-services.test.ts, through the CLI). Run: node --import tsx --test test/service-checks.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCredentialName } from '../templates/stacks/service/environment-variables.ts';
import { checkImage, imageParameterPattern } from '../templates/stacks/service/image.ts';
import { cronProblem, rateProblem } from '../templates/stacks/service/schedule-expression.ts';

test('credential names: the obvious ones, and not names that merely refer to one or contain PASS / KEY', () => {
  for (const name of ['PASSWORD', 'DB_PASSWORD', 'DBPASSWORD', 'API_KEY', 'APIKEY', 'STRIPE_SECRET_KEY', 'GITHUB_TOKEN', 'SMTP_PASS', 'CLIENT_SECRET', 'AWS_SECRET_ACCESS_KEY', 'PRIVATE_KEY', 'SSH_PASSPHRASE', 'GOOGLE_CREDENTIALS']) {
    assert.ok(isCredentialName(name), name);
  }
  for (const name of ['SECRET_ARN', 'SECRET_NAME', 'KMS_KEY_ID', 'KMS_KEY_ARN', 'PUBLIC_KEY', 'SORT_KEY', 'PARTITION_KEY', 'TOKEN_URL', 'TOKEN_ENDPOINT', 'PASSWORD_MIN_LENGTH', 'PASSPORT_COUNTRY', 'COMPASS_URL', 'KEYBOARD_LAYOUT', 'NODE_ENV', 'LOG_LEVEL', 'QUEUE_URL']) {
    assert.ok(!isCredentialName(name), name);
  }
});

test('cron expressions EventBridge accepts pass, field by field', () => {
  for (const e of ['0 3 * * ? *', '0/15 * * * ? *', '*/5 9-17 ? * MON-FRI *', '0 8 ? * 2-6 *', '0 0 L * ? *', '0 0 LW * ? *', '0 0 15W * ? *', '0 0 ? * 6#3 *', '0 0 ? * 5L *', '0 0 ? * L *', '30 2 1,15 JAN,jul ? 2030-2035', '0 12 ? * SUN *']) {
    assert.equal(cronProblem(e.split(' ')), undefined, e);
  }
});

test('rate expressions: a positive whole number, singular for one', () => {
  for (const e of ['1 minute', '15 minutes', '1 hour', '2 hours', '1 day', '7 days']) assert.equal(rateProblem(e), undefined, e);
  for (const e of ['1 minutes', '2 hour', '0 days', '-1 day', '1.5 hours', '3 weeks', '5']) assert.notEqual(rateProblem(e), undefined, e);
});

test('images: registries, Docker Hub short names, digests; the ECR repository is recognised', () => {
  assert.deepEqual(checkImage('x', 'nginx:1.27'), { registry: undefined, repository: 'nginx', tag: '1.27', digest: undefined, ecr: undefined });
  assert.deepEqual(checkImage('x', 'library/nginx:1.27').repository, 'library/nginx');
  assert.equal(checkImage('x', 'localhost:5000/app:1').registry, 'localhost:5000');
  const ecr = checkImage('x', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/web@sha256:' + 'a'.repeat(64));
  assert.deepEqual(ecr.ecr, { account: '111122223333', region: 'eu-west-1', repository: 'team/web', registry: '111122223333.dkr.ecr.eu-west-1.amazonaws.com' });
  // The parameter's pattern, as CloudFormation (Java) and the deploy checks (JavaScript) read it.
  const pattern = new RegExp(imageParameterPattern(ecr));
  assert.ok(pattern.test('111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/web:2'));
  assert.ok(!pattern.test('111122223333.dkr.ecr.eu-west-1.amazonaws.com/team/other:2'));
});
