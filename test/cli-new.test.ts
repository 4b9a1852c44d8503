/**
 * `berth new`: scaffolds of every kind, on EC2 and on Fargate, and a new environment, written into
 * a copy of the repository (its git files; node_modules and .venv linked; the fixture estate in
 * place of the user's), then `make build` (type
 * check included) and `make lint` over the result: clean as written. Plus what `new` refuses:
 * an existing file, a name the build does not accept (nothing left behind), a mistyped kind or
 * environment.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { imageOverrides, insertOverride } from '../src/cli/new-image.ts';
import { registerService, serviceVariable } from '../src/cli/new-service.ts';
import { installFixtureEstate, ROOT, run, tempDir, type Run } from './_helpers.ts';

let dir = '';

/** The repository's files (tracked, and new ones not ignored) in a temporary folder, installs linked. */
function copyRepository(): string {
  const to = mkdtempSync(join(tmpdir(), 'berth-new-'));
  const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(to, f)), { recursive: true });
    cpSync(join(ROOT, f), join(to, f), { preserveTimestamps: true });
  }
  for (const d of ['node_modules', '.venv']) symlinkSync(join(ROOT, d), join(to, d));
  // The install stamps, newer than the lock files, so make never reinstalls into the linked folders.
  cpSync(join(ROOT, '.stamps'), join(to, '.stamps'), { recursive: true });
  const now = new Date();
  for (const stamp of readdirSync(join(to, '.stamps'))) utimesSync(join(to, '.stamps', stamp), now, now);
  return to;
}

const berth = (...args: string[]): Run => run(dir, [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args]);
const make = (...args: string[]): Run => run(dir, ['make', '-s', ...args]);
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

before(() => {
  dir = copyRepository();
  // berth's fixture estate (a copy of the example), not the user's: the assertions below name its
  // services, environments and capacity.
  installFixtureEstate(dir);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('registerService adds the import and the list entry, one line or several', () => {
  const one = "import type { X } from './x.ts';\nimport { web } from './web.ts';\n\nexport const services: readonly X[] = [web];\n";
  assert.equal(registerService(one, 'billing-api'), "import type { X } from './x.ts';\nimport { web } from './web.ts';\nimport { billingApi } from './billing-api.ts';\n\nexport const services: readonly X[] = [web, billingApi];\n");
  const many = "import { web } from './web.ts';\nexport const services = [\n  web,\n];\n";
  assert.equal(registerService(many, 'jobs'), "import { web } from './web.ts';\nimport { jobs } from './jobs.ts';\nexport const services = [\n  web,\n  jobs,\n];\n");
  assert.equal(registerService('export const services = [];\n', 'a'), "import { a } from './a.ts';\nexport const services = [a];\n");
  // An index that discovers its modules has no list: nothing to register.
  assert.equal(registerService('export const services = discover();\n', 'a'), undefined);
  assert.equal(serviceVariable('billing-api'), 'billingApi');
  assert.equal(serviceVariable('delete'), 'deleteService');
  assert.equal(serviceVariable('services'), 'servicesService');
});

test('insertOverride adds the entry to the top-level services as the file lays them out, or adds services', () => {
  const image = '1.dkr/api:1';
  const entry = '"api": { "image": "1.dkr/api:1" }';
  // One entry per line, as templates/environments/prod.json has them.
  const lines = '{\n  "name": "p",\n  "services": {\n    "web": { "minCount": 3 },\n    "worker": { "image": "x" }\n  }\n}\n';
  assert.equal(insertOverride(lines, 'api', image), `{\n  "name": "p",\n  "services": {\n    "web": { "minCount": 3 },\n    "worker": { "image": "x" },\n    ${entry}\n  }\n}\n`);
  // JSON.stringify's layout: the entry goes after the last object, at the entries' indentation.
  const stringified = `${JSON.stringify({ name: 'p', services: { web: { minCount: 3 } } }, null, 2)}\n`;
  const added = insertOverride(stringified, 'api', image);
  assert.deepEqual(JSON.parse(added), { name: 'p', services: { web: { minCount: 3 }, api: { image } } });
  assert.match(added, /^ {4}\},\n {4}"api": /m);
  // On one line, empty, absent; a nested `services` or one inside a string is not the top-level one.
  assert.equal(insertOverride('{ "services": { "web": {} } }', 'api', image), `{ "services": { "web": {}, ${entry} } }`);
  assert.equal(insertOverride('{ "services": {} }', 'api', image), `{ "services": { ${entry} } }`);
  assert.equal(insertOverride('{\n  "name": "p"\n}\n', 'api', image), `{\n  "name": "p",\n  "services": {\n    ${entry}\n  }\n}\n`);
  const nested = '{\n  "note": "\\"services\\": {",\n  "x": { "services": { "a": 1 } },\n  "services": { "web": {} }\n}\n';
  assert.deepEqual(JSON.parse(insertOverride(nested, 'api', image)), { note: '"services": {', x: { services: { a: 1 } }, services: { web: {}, api: { image } } });
});

test('imageOverrides: only environments with interface endpoints, following their ECR images in their own Region', () => {
  const folder = tempDir('new-image');
  const env = (name: string, settings: object) => {
    const file = join(folder, `${name}.json`);
    writeFileSync(file, `${JSON.stringify({ name, ...settings }, null, 2)}\n`);
    return { name, file };
  };
  const ecr = (region: string, path: string) => `111122223333.dkr.ecr.${region}.amazonaws.com/${path}`;
  const nat = env('dev', { region: 'eu-west-1', network: { interfaceEndpoints: false } });
  const prod = env('prod', { region: 'eu-west-1', services: { a: { image: ecr('us-east-1', 'team/a:2') }, b: { minCount: 2 }, c: { image: ecr('eu-west-1', 'team/apps/c:2.1') } } });
  const mine = env('mine', { region: 'eu-west-1', services: { api: { image: 'x:1' } } });
  const found = imageOverrides([nat, prod, mine], 'api', 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine');
  // dev pulls through NAT; mine already names api's image; prod follows c (a is in another Region).
  assert.deepEqual(found.map((o) => [o.environment, o.image]), [['prod', ecr('eu-west-1', 'team/apps/api:2.1')]]);
  assert.deepEqual(JSON.parse(found[0]!.after).services.api, { image: ecr('eu-west-1', 'team/apps/api:2.1') });
  // An image already in the Region's ECR needs no entry; none to follow is one line, nothing written.
  assert.deepEqual(imageOverrides([prod], 'api', ecr('eu-west-1', 'api:1')), []);
  const bare = env('bare', { region: 'eu-west-1' });
  assert.throws(
    () => imageOverrides([bare], 'api', 'public.ecr.aws/x:1'),
    (e: Error) => e.message === `berth new service: ${relative(process.cwd(), bare.file)} has VPC interface endpoints, so \`api\`'s image must be in ECR in \`eu-west-1\` there, and no service in it has such an image for berth to follow, so nothing was written. Give one of its services an ECR image in \`services.<name>.image\`, or set \`network.interfaceEndpoints\` to false in ${relative(process.cwd(), bare.file)}, then run \`berth new service\` again.`,
  );
});

test('berth new service: a web service on EC2 fits the example estate as it is, and says what to do next', () => {
  const prod = read('templates/environments/prod.json');
  const r = berth('new', 'service', 'api', '--kind', 'web');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      "wrote templates/services/api.ts: a web service behind the load balancer, on the cluster's EC2 capacity",
      'registered `api` in templates/services/index.ts',
      'set services.api.image in templates/environments/prod.json to `123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/api:1.0.0`: prod pulls images from ECR in its Region only (VPC interface endpoints); push the image there before deploying prod',
      '',
      'Next:',
      '  1. edit templates/services/api.ts: the image, its port and user, CPU and memory, the route',
      '  2. make build      # type-checks, writes output/<env>/service-api.yaml',
      '  3. make diff       # what changed against the committed output/',
      '  4. make lint       # the five gates',
      '  5. commit, then deploy it: scripts/deploy.sh <env> (or alone: --template service-api)',
      '',
    ].join('\n'),
  );
  assert.match(read('templates/services/api.ts'), /^export const api = defineService\(\{$/m);
  assert.match(read('templates/services/index.ts'), /^import \{ api \} from '\.\/api\.ts';$/m);
  assert.match(read('templates/services/index.ts'), /= \[web, worker, report, api\];/);
  // prod (interface endpoints) gains one line in its own layout; dev (NAT) pulls the public image.
  assert.equal(
    read('templates/environments/prod.json'),
    prod.replace(/("report": \{[^\n]*\})\n/, '$1,\n    "api": { "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/api:1.0.0" }\n'),
  );
  assert.equal(JSON.parse(read('templates/environments/dev.json')).services?.api, undefined);
});

test('berth new refuses an existing file, a name the build rejects (leaving nothing behind), a mistyped kind or environment', () => {
  const index = read('templates/services/index.ts');
  const prod = read('templates/environments/prod.json');
  const again = berth('new', 'service', 'api', '--kind', 'worker');
  assert.equal(again.status, 1);
  assert.equal(again.stderr, 'error: templates/services/api.ts: already exists, and `berth new` never overwrites. Pick another name, or edit the file.\n');
  const upper = berth('new', 'service', 'Billing', '--kind', 'web', '--fargate');
  assert.equal(upper.status, 1);
  assert.equal(
    upper.stderr,
    'error: berth new service: the build refused the new service, so nothing was written: templates/services/Billing.ts: name: `Billing` is not a valid service name. Use 1 to 28 lower-case letters and digits, starting with a letter, words joined by single hyphens (no trailing or double hyphen): it names the stack file, the log group and IAM roles.\n',
  );
  assert.equal(existsSync(join(dir, 'templates/services/Billing.ts')), false);
  assert.equal(read('templates/services/index.ts'), index);
  assert.equal(read('templates/environments/prod.json'), prod, 'the image entry written for the build is taken back');
  const path = berth('new', 'service', '../escape', '--kind', 'web');
  assert.equal(path.stderr, 'error: berth new service: `../escape` is not a service name. Use lower-case letters, digits and hyphens, starting with a letter, such as `billing-api`.\n');
  assert.equal(berth('new', 'service', 'q', '--kind', 'wroker').stderr, 'error: --kind: `wroker` is not a kind of service. Did you mean `worker`? Kinds: `web`, `worker`, `scheduled`.\n');
  assert.equal(berth('new', 'service', 'q').stderr, 'error: berth new service: needs --kind. Pass `--kind web`, `--kind worker` or `--kind scheduled`.\n');
  assert.equal(berth('new', 'servce', 'q').stderr, 'error: berth new: cannot scaffold `servce`. Did you mean `service`? Use `berth new service <name> --kind web` or `berth new environment <name> --from <env>`. Run `berth new --help` for the usage.\n');
  assert.equal(berth('new', 'environment', 'qa', '--from', 'prdo').stderr, 'error: --from prdo: unknown environment. Did you mean `prod`? Known environments: `dev`, `prod`.\n');
  const bad = berth('new', 'environment', 'Qa', '--from', 'dev');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: berth new environment: the build refused the new environment, so nothing was written: templates\/environments\/Qa\.json: name: expected lower-case letters, digits and hyphens, up to 20 characters, matching the file name, got `"Qa"`\. Fix the value\.\n$/);
  assert.equal(existsSync(join(dir, 'templates/environments/Qa.json')), false);
});

test('every kind on EC2 and Fargate, and a new environment, build (type-checked); dev lints clean with all of them', () => {
  // The example's dev cluster holds the example services and one more EC2 service at their peak
  // (the build checks: see the first test); room for the other EC2 scaffolds, as the build's
  // message says to make it.
  for (const env of ['dev', 'prod']) {
    const file = join(dir, `templates/environments/${env}.json`);
    const settings = JSON.parse(readFileSync(file, 'utf8')) as { cluster: { capacity: { maxSize: number } } };
    settings.cluster.capacity.maxSize += 4;
    writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  }
  const scaffolds: [string, string, boolean][] = [
    ['jobs', 'worker', false],
    ['nightly', 'scheduled', false],
    ['site', 'web', true],
    ['queue-eater', 'worker', true],
    ['hourly', 'scheduled', true],
  ];
  for (const [name, kind, fargate] of scaffolds) {
    const r = name === 'site' ? make('new-service', `NAME=${name}`, `KIND=${kind}`, 'FARGATE=1') : berth('new', 'service', name, '--kind', kind, ...(fargate ? ['--fargate'] : []));
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    // (make compiles the CLI first when the estate changed: `wrote dist/berth.cjs`.)
    assert.match(r.stdout, new RegExp(`^wrote templates/services/${name}\\.ts: .* on ${fargate ? 'Fargate' : "the cluster's EC2 capacity"}$`, 'm'));
  }
  const staging = make('new-environment', 'NAME=staging', 'FROM=prod');
  assert.equal(staging.status, 0, staging.stderr);
  assert.match(staging.stdout, /^wrote templates\/environments\/staging\.json: a copy of prod\.json with `name` `staging`$/m);
  assert.equal(JSON.parse(read('templates/environments/staging.json')).name, 'staging');

  const build = make('build');
  assert.equal(build.status, 0, build.stdout + build.stderr);
  for (const env of ['dev', 'prod', 'staging']) {
    for (const name of ['api', ...scaffolds.map((s) => s[0])]) assert.ok(existsSync(join(dir, 'output', env, `service-${name}.yaml`)), `${env}/service-${name}.yaml`);
  }
  // dev holds every new service; staging is prod's settings under another name, which prod's lint
  // (test/lint-gates.test.ts) covers. One environment keeps this test's lint to a minute.
  const lint = make('lint', 'ENV=dev');
  assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  for (const gate of ['cfn-lint', 'checkov', 'control-tower', 'policy', 'cfripper']) assert.match(lint.stdout, new RegExp(`^\\[pass\\] ${gate}: `, 'm'), gate);
});
