// Retry-safe creates: data-holding resources with a fixed physical name are kept on stack deletion
// but not by a create that rolls back (DeletionPolicy RetainExceptOnCreate), so a failed first
// deploy can be retried. The policy gate's stateful-retained rule on a failing fixture, and every
// template berth writes for the estate (which holds for any estate: the stacks choose the policy).
// Run: node --import tsx --test test/retain.test.ts
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkTemplate, FIXED_NAME_PROPERTY, formatFinding, parseTemplate } from '../scripts/lint/policy-rules.ts';
import { parseTemplate as readTemplate } from '../src/emit/parse.ts';
import { ROOT } from './_helpers.ts';

const FIXTURE = 'test/fixtures/retry-unsafe/retry-unsafe.yaml';

test('stateful-retained fails each fixed-name resource kept by Retain, and passes RetainExceptOnCreate and unnamed ones', () => {
  const r = checkTemplate(parseTemplate(FIXTURE, readFileSync(join(ROOT, FIXTURE), 'utf8')));
  const findings = r.findings.filter((f) => f.rule === 'stateful-retained');
  assert.deepEqual(
    findings.map((f) => `${f.logicalId} ${f.property}`),
    ['NamedLogGroup DeletionPolicy', 'NamedSecret DeletionPolicy', 'NamedQueue DeletionPolicy'],
  );
  assert.match(formatFinding(findings[0]!), /^test\/fixtures\/retry-unsafe\/retry-unsafe\.yaml: NamedLogGroup DeletionPolicy: is `Retain` on a AWS::Logs::LogGroup with a fixed name \(Properties\.LogGroupName\): .* every retry fails with "already exists" .* Set `DeletionPolicy: RetainExceptOnCreate`/);
  assert.equal(r.passedByRule['stateful-retained'], 2, 'RetrySafeLogGroup and UnnamedQueue pass');
});

test('a fixed-name resource with no DeletionPolicy is told to use RetainExceptOnCreate, an unnamed one Retain', () => {
  const r = checkTemplate({
    file: 'x.yaml',
    template: { Resources: { Named: { Type: 'AWS::Logs::LogGroup', UpdateReplacePolicy: 'Retain', Properties: { LogGroupName: 'a' } }, Unnamed: { Type: 'AWS::Logs::LogGroup', UpdateReplacePolicy: 'Retain', Properties: {} } } },
  });
  assert.deepEqual(r.findings.map((f) => [f.logicalId, /Set `DeletionPolicy: (\w+)`/.exec(f.message)?.[1]]), [['Named', 'RetainExceptOnCreate'], ['Unnamed', 'Retain']]);
});

test('every fixed-name data resource berth writes uses RetainExceptOnCreate and keeps UpdateReplacePolicy Retain (a database: a final snapshot)', () => {
  let named = 0;
  for (const env of readdirSync(join(ROOT, 'output'))) {
    for (const file of readdirSync(join(ROOT, 'output', env)).filter((f) => f.endsWith('.yaml'))) {
      const doc = readTemplate(readFileSync(join(ROOT, 'output', env, file), 'utf8'), file) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }> };
      for (const [id, r] of Object.entries(doc.Resources)) {
        const property = FIXED_NAME_PROPERTY[r.Type];
        if (!property || r.Properties?.[property] === undefined) continue;
        named += 1;
        // A deleted or replaced database leaves its final snapshot, which frees the name too.
        const kept = r.Type === 'AWS::RDS::DBCluster' ? ['Snapshot', 'Snapshot'] : ['RetainExceptOnCreate', 'Retain'];
        assert.deepEqual([r.DeletionPolicy, r.UpdateReplacePolicy], kept, `${env}/${file} ${id}`);
      }
    }
  }
  assert.ok(named >= 4, `the estate has fixed-name log groups, queues and secrets (${named})`);
});
