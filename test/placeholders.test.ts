// An environment that serves plain HTTP on the load balancer's own DNS name (no domain, no
// certificate: a dev-like environment) must deploy with zero edits in any account and Region, so
// nothing in its output/<env>/ may be a documentation placeholder: the example account ID, the
// example domains, or an example hosted zone ID. Holds for any estate; environments with a
// domain (prod) keep what only their owner can know, which the deploy preflight refuses.
// Run: node --import tsx --test test/placeholders.test.ts
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

/** Placeholders AWS's and IANA's documentation use: https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html, RFC 2606. */
const PLACEHOLDERS: readonly [string, RegExp][] = [
  ['the example account ID 123456789012', /123456789012/],
  ['an example domain (RFC 2606)', /\bexample\.(com|net|org)\b/i],
  ['an example hosted zone ID', /\bZ[A-Z0-9]*EXAMPLE[A-Z0-9]*\b/],
];

/** The placeholders in `text`, one description per kind found. */
export function placeholdersIn(text: string): string[] {
  return PLACEHOLDERS.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
}

const ENVIRONMENTS = readdirSync(join(ROOT, 'templates/environments')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));

test('the scanner finds each kind of placeholder, and not real values', () => {
  assert.deepEqual(placeholdersIn('Image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1'), ['the example account ID 123456789012']);
  assert.deepEqual(placeholdersIn('Name: app.Example.com'), ['an example domain (RFC 2606)']);
  assert.deepEqual(placeholdersIn('HostedZoneId: Z0123456789EXAMPLE0000'), ['an example hosted zone ID']);
  assert.deepEqual(placeholdersIn('Image: public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine\nAccountId: \'156460612806\'\ncounterexample.community'), []);
});

test('every environment without a domain has no placeholder anywhere in its output/<env>/', () => {
  let checked = 0;
  for (const env of ENVIRONMENTS) {
    const s = loadSettings(`templates/environments/${env}.json`);
    if (s.loadBalancer.dns || s.loadBalancer.listener.protocol === 'https') continue;
    checked += 1;
    for (const file of readdirSync(join(ROOT, 'output', env))) {
      const found = placeholdersIn(readFileSync(join(ROOT, 'output', env, file), 'utf8'));
      assert.deepEqual(found, [], `output/${env}/${file} holds ${found.join(', ')}: an environment on the load balancer's own name must deploy as it is`);
    }
  }
  assert.ok(checked >= 1 || ENVIRONMENTS.length > 0, 'the estate has environments');
});
