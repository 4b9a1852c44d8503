/**
 * Your estate, your tests: a copy of the repository (its files as git lists them, node_modules and
 * .venv linked) whose example services and environments are replaced by different ones (other
 * names and kinds, four services instead of three, two web services, environments `qa` and `live`
 * copied from dev and prod under other names), then `make build` and `make check`, the CI gate a
 * team runs on its own estate (docs/testing.md): output/ current and type-checked, the four lint
 * gates clean (Control Tower's exceptions follow the settings, not environment names), and the
 * estate's property tests. Then a service file the index does not list fails the build with one
 * line. berth's own tests (`make test`) run on fixture estates under test/fixtures/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ROOT, run, tempDir } from './_helpers.ts';

/** The repository as a clone has it (tracked and new, not ignored, files), with the installs linked. */
function copyRepository(): string {
  const dir = tempDir('own-estate');
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    try {
      copyFileSync(join(ROOT, f), join(dir, f));
    } catch {
      // listed but deleted in the working tree: a clone would not have it either
    }
  }
  for (const d of ['node_modules', '.venv']) symlinkSync(join(ROOT, d), join(dir, d));
  // The install stamps, newer than the lock files, so make never reinstalls into the linked
  // node_modules and .venv (which every other test shares).
  mkdirSync(join(dir, '.stamps'));
  const now = new Date();
  for (const stamp of ['npm', 'venv']) {
    writeFileSync(join(dir, '.stamps', stamp), '');
    utimesSync(join(dir, '.stamps', stamp), now, now);
  }
  return dir;
}

const image = (name: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/${name}:2.3.1`;

/** Four services of every kind, none named like the example's. */
const SERVICES: Record<string, string> = {
  'storefront.ts': `import { defineService } from '../stacks/service/definition.ts';

/** The shop's pages, on every path the API does not take. */
export const storefront = defineService({
  name: 'storefront',
  capacity: { type: 'fargate' },
  container: { image: '${image('storefront')}', cpu: 512, memoryMiB: 1024, port: 3000 },
  role: {
    kind: 'web',
    route: { paths: ['/*'] },
    targetHealthCheck: { path: '/healthz', intervalSeconds: 15, matcher: '200' },
    scaling: { minCount: 1, maxCount: 4, target: { metric: 'cpu', percent: 60 } },
  },
});
`,
  'checkout-api.ts': `import { defineService } from '../stacks/service/definition.ts';

/** The checkout API, half on Fargate Spot. */
export const checkoutApi = defineService({
  name: 'checkout-api',
  capacity: { type: 'fargate', spotPercent: 50 },
  container: { image: '${image('checkout-api')}', cpu: 1024, memoryMiB: 2048, port: 8080 },
  role: {
    kind: 'web',
    route: { paths: ['/api/*'] },
    targetHealthCheck: { path: '/api/health', intervalSeconds: 10, matcher: '200' },
    scaling: { minCount: 2, maxCount: 10, target: { metric: 'cpu', percent: 50 } },
  },
});
`,
  'mailer.ts': `import { defineService } from '../stacks/service/definition.ts';

/** Sends the shop's mail from its queue. */
export const mailer = defineService({
  name: 'mailer',
  capacity: { type: 'fargate' },
  container: { image: '${image('mailer')}', cpu: 256, memoryMiB: 512, command: ['node', 'mailer.js'] },
  role: { kind: 'queueWorker', visibilityTimeoutSeconds: 120, maxReceiveCount: 4, scaling: { minCount: 0, maxCount: 3, messagesPerTask: 20 } },
});
`,
  'stock-sync.ts': `import { defineService } from '../stacks/service/definition.ts';

/** Syncs the stock from the warehouse every quarter of an hour. */
export const stockSync = defineService({
  name: 'stock-sync',
  capacity: { type: 'fargate' },
  container: { image: '${image('stock-sync')}', cpu: 256, memoryMiB: 512, command: ['node', 'sync.js'] },
  role: { kind: 'scheduled', schedule: 'rate(15 minutes)', via: 'scheduler' },
});
`,
  'index.ts': `import type { ServiceDefinition } from '../stacks/service/definition.ts';
import { checkoutApi } from './checkout-api.ts';
import { mailer } from './mailer.ts';
import { stockSync } from './stock-sync.ts';
import { storefront } from './storefront.ts';

export const services: readonly ServiceDefinition[] = [storefront, checkoutApi, mailer, stockSync];
`,
};

/** An environment copied from `from`, renamed, with its per-service settings for the new services. */
function copyEnvironment(dir: string, from: string, to: string, services: Record<string, unknown>): void {
  const settings = JSON.parse(readFileSync(join(ROOT, 'templates/environments', `${from}.json`), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'templates/environments', `${to}.json`), `${JSON.stringify({ ...settings, name: to, services }, null, 2)}\n`);
}

test('a team that replaces the example services and environments with its own passes make build and make check', { timeout: 900_000 }, () => {
  const dir = copyRepository();
  const servicesDir = join(dir, 'templates/services');
  for (const f of readdirSync(servicesDir)) rmSync(join(servicesDir, f));
  for (const [f, text] of Object.entries(SERVICES)) writeFileSync(join(servicesDir, f), text);
  copyEnvironment(dir, 'dev', 'qa', { storefront: { minCount: 1, maxCount: 2 }, mailer: { minCount: 0, maxCount: 1 } });
  copyEnvironment(dir, 'prod', 'live', { 'checkout-api': { minCount: 3, maxCount: 12 } });
  for (const env of ['dev', 'prod']) rmSync(join(dir, 'templates/environments', `${env}.json`));
  rmSync(join(dir, 'output'), { recursive: true });

  const build = run(dir, ['make', '-s', 'build']);
  assert.equal(build.status, 0, build.stdout + build.stderr);
  assert.deepEqual(readdirSync(join(dir, 'output')), ['live', 'qa']);
  const qa = readdirSync(join(dir, 'output/qa')).filter((f) => f.startsWith('service-') && f !== 'service-catalog.yaml').sort();
  assert.deepEqual(qa, ['service-checkout-api.yaml', 'service-mailer.yaml', 'service-stock-sync.yaml', 'service-storefront.yaml']);

  // The CI gate. The lint cache starts empty in the copy: every gate lints every template.
  const check = run(dir, ['make', '-s', 'check']);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^output\/ is up to date \(\d+ templates\)\.$/m);
  for (const gate of ['cfn-lint', 'checkov', 'control-tower', 'policy']) assert.match(check.stdout, new RegExp(`^\\[pass\\] ${gate}: `, 'm'));
  // qa made dev's choices under another name: it gets dev's Control Tower exceptions, from its own settings.
  assert.match(readFileSync(join(dir, 'output/qa/load-balancer.yaml'), 'utf8'), /elbv2_deletion_protection_enabled_check: 'CT\.ELASTICLOADBALANCING\.PR\.5: .*\(templates\/environments\/qa\.json: loadBalancer\.deletionProtection\)/);
  assert.match(check.stdout, /^\d+ tests in 1 files: \d+ passed, 0 failed/m);

  // A service file the index does not list fails the build, one line naming it; output/ untouched.
  writeFileSync(join(servicesDir, 'returns.ts'), SERVICES['mailer.ts']!.replaceAll('mailer', 'returns'));
  const forgotten = run(dir, ['make', '-s', 'build']);
  assert.notEqual(forgotten.status, 0);
  assert.match(forgotten.stderr, /^error: templates\/services\/returns\.ts: a service module that templates\/services\/index\.ts does not import, so the build would leave it out\. .*\n/);
  assert.equal(forgotten.stderr.split('\n').filter((l) => l.startsWith('error: ')).length, 1, forgotten.stderr);
});
