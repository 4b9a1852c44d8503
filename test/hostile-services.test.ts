// Service mistakes a hostile (or hurried) user makes, each caught at build time through the CLI:
// exit 1, exactly one line on stderr naming the file where the service is defined (or the
// environment file) and the field, what was expected, no stack trace, and output/ byte-identical
// with no stray files. One row per case; the estate is test/fixtures/hostile-estate/.
// Run: node --import tsx --test test/hostile-services.test.ts
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { bundle } from '../scripts/bundle.ts';
import { ROOT, tempDir } from './_helpers.ts';

const ESTATE = 'test/fixtures/hostile-estate/estate.ts';
const SERVICES = 'test/fixtures/hostile-estate/services.ts';
const SETTINGS = 'test/fixtures/hostile-estate/environments/dev.json';

interface Row {
  /** The case of services.ts (the estate's services), or a settings case's name with `services: 'ok'`. */
  readonly case: string;
  /** The services case, when `case` names a settings mistake. @default case */
  readonly services?: string;
  /** `file: field` the one line starts with (after `error: `). */
  readonly where: string;
  /** What the line must say. */
  readonly says: RegExp;
  /** A mutation of the settings file, for settings cases. */
  readonly settings?: (s: Record<string, any>) => void;
}

const S = (field: string) => `${SERVICES}: ${field}`;
const ROWS: readonly Row[] = [
  { case: 'cron-minute-range', where: S('role.schedule'), says: /minutes `60` is outside 0-59/ },
  { case: 'cron-hour-range', where: S('role.schedule'), says: /hours `24` is outside 0-23/ },
  { case: 'cron-two-question-marks', where: S('role.schedule'), says: /has `\?` in both day-of-month and day-of-week; exactly one of them takes `\?`/ },
  { case: 'cron-no-question-mark', where: S('role.schedule'), says: /needs `\?` in exactly one of day-of-month and day-of-week/ },
  { case: 'cron-month-name', where: S('role.schedule'), says: /month `JANUARY` is not a number or a name \(JAN-DEC\)/ },
  { case: 'cron-L-in-hours', where: S('role.schedule'), says: /hours `L` uses `L`, which hours does not take/ },
  { case: 'cron-nth-weekday', where: S('role.schedule'), says: /day-of-week `2#6`: the week after `#` must be 1 to 5/ },
  { case: 'cron-W-in-list', where: S('role.schedule'), says: /day-of-month `1W,15` combines `L`, `W` or `#` with a list/ },
  { case: 'cron-five-fields', where: S('role.schedule'), says: /has 5 fields; EventBridge cron has six/ },
  { case: 'cron-year-range', where: S('role.schedule'), says: /year `1969` is outside 1970-2199/ },
  { case: 'cron-step-zero', where: S('role.schedule'), says: /minutes `0\/0`: the increment after `\/` must be 1 to 59/ },
  { case: 'rate-zero', where: S('role.schedule'), says: /`0` is not a positive whole number/ },
  { case: 'rate-unit', where: S('role.schedule'), says: /`weeks` is not a unit: use minute\(s\), hour\(s\) or day\(s\)/ },
  { case: 'rate-plural-one', where: S('role.schedule'), says: /a value of 1 takes the singular unit: `rate\(1 hour\)`/ },
  { case: 'same-route', where: S('role.route'), says: /routes host `\*` and path `\/\*`, as service `web` \(test\/fixtures\/hostile-estate\/services\.ts\) does/ },
  { case: 'credential-password', where: S('container.environment.DB_PASSWORD'), says: /looks like a credential.*Move it to `container\.secrets`/ },
  { case: 'credential-token', where: S('container.environment.GITHUB_TOKEN'), says: /looks like a credential/ },
  { case: 'credential-key', where: S('container.environment.STRIPE_KEY'), says: /looks like a credential/ },
  { case: 'credential-pass', where: S('container.environment.SMTP_PASS'), says: /looks like a credential/ },
  { case: 'credential-secret', where: S('container.environment.CLIENT_SECRET'), says: /looks like a credential/ },
  { case: 'credential-url', where: S('container.environment.DATABASE_URL'), says: /carries a password in its URL \(`scheme:\/\/user:password@\.\.\.`\)/ },
  { case: 'image-no-tag', where: S('container.image'), says: /has no tag or digest, so it means `latest`.*Pin a version tag/ },
  { case: 'image-latest', where: S('container.image'), says: /is tagged `latest`, which moves/ },
  { case: 'image-upper-case', where: S('container.image'), says: /is not an image reference/ },
  { case: 'name-trailing-hyphen', where: S('name'), says: /`job-` is not a valid service name.*no trailing or double hyphen/ },
  { case: 'name-double-hyphen', where: S('name'), says: /`nightly--job` is not a valid service name/ },
  { case: 'same-logical-id', where: S('name'), says: /services `job-2` \(test\/fixtures\/hostile-estate\/services\.ts\) and `job2` both become the logical ID `Job2Service`/ },
  { case: 'ec2-task-too-large', where: S('container.cpu'), says: /is 4096 CPU units, more than the largest instance type of .*dev\.json \(`c6a\.large`\) offers tasks \(2048 CPU units\)/ },
  { case: 'send-cycle', where: S('sendsTo'), says: /makes a cycle of services sending to each other's queues \(`worker` -> `worker-two` -> `worker`\)/ },
  { case: 'send-to-non-queue', where: S('sendsTo[0]'), says: /names `web`, which is a web service and has no queue/ },
  { case: 'health-check-command', where: S('container.healthCheck.command'), says: /ECS runs `\['CMD', <program>, \.\.\.args\]` or `\['CMD-SHELL', <shell command>\]`/ },
  { case: 'generated-secret-short', where: S('container.secrets.SESSION_KEY.generated.length'), says: /is `8`; the generated secret's length must be a whole number from 16 to 4096/ },
  { case: 'too-dense', where: `${SETTINGS}: cluster.capacity.maxSize`, says: /is 3, too few instances .*\(tasks: web 12\): they need 12 awsvpc network interfaces, and 3 instances have 6/ },
  { case: 'store-not-in-estate', where: S('uses[0]'), says: /names store `stray`, which is not a store of this estate\. Add it to the estate's stores \(templates\/storage\/index\.ts\), or remove it from `uses`\./ },
  { case: 'store-engine-version', where: S('engineVersion'), says: /`9\.6` is not an Aurora PostgreSQL version such as `17\.9`/ },
  { case: 'store-override-wrong-kind', services: 'ok', where: 'SETTINGS: stores.files.readers', says: /does not apply: store `files` \(test\/fixtures\/hostile-estate\/services\.ts\) is an S3 bucket\. It takes no overrides\. Remove the field\./, settings: (s) => (s.stores = { files: { readers: 1 } }) },
  { case: 'store-override-unknown', services: 'ok', where: 'SETTINGS: stores.file', says: /overrides store `file`, which the estate does not define\. Stores: `files`/, settings: (s) => (s.stores = { file: { deletionProtection: false } }) },
  { case: 'unknown-instance-type', services: 'ok', where: 'SETTINGS: cluster.capacity.instanceTypes[0]', says: /`c6a\.lrage` is not an instance type berth knows \(did you mean `c6a\.large`/, settings: (s) => (s.cluster.capacity.instanceTypes[0] = 'c6a.lrage') },
  { case: 'trunking-unsupported-type', services: 'ok', where: 'SETTINGS: cluster.capacity.instanceTypes[1]', says: /`t3\.large` does not support ENI trunking, but `cluster\.capacity\.awsvpcTrunking` is true/, settings: (s) => Object.assign(s.cluster.capacity, { instanceTypes: ['c6a.large', 't3.large'], awsvpcTrunking: true }) },
];

let scratch: string;
let out: string;
let snapshot: Map<string, string>;

function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

/**
 * `berth build` of the hostile estate: compiled (scripts/bundle.ts, as `make build` runs it), or
 * from source. The estate picks its case at run time, so one compiled CLI serves every row, each
 * in about a third of the CPU time of a run from source.
 */
function build(env: NodeJS.ProcessEnv, from: 'compiled' | 'source' = 'compiled'): Promise<{ status: number | null; stderr: string }> {
  const cli = from === 'compiled' ? [join(scratch, 'dist', 'berth.cjs')] : ['--import', 'tsx', 'src/cli/main.ts'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...cli, 'build', '--quiet', '--estate', ESTATE, '--out', out], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

// The cases run two at a time (each is a Node process); each test awaits its own result.
const results = new Map<number, Promise<{ status: number | null; stderr: string; settingsFile?: string; env: NodeJS.ProcessEnv }>>();
before(async () => {
  scratch = tempDir('hostile');
  out = join(scratch, 'output');
  await bundle({ estate: join(ROOT, ESTATE), out: join(scratch, 'dist', 'berth.cjs') });
  const ok = await build({ BERTH_HOSTILE_CASE: 'ok' });
  assert.equal(ok.status, 0, ok.stderr);
  snapshot = tree(out);
  assert.ok(snapshot.has('dev/root.yaml') && snapshot.has('dev/service-web.yaml'), 'the valid case builds the estate');
  const slots: Promise<unknown>[] = [];
  ROWS.forEach((row, i) => {
    let settingsFile: string | undefined;
    if (row.settings) {
      const dir = join(scratch, `settings-${i}`);
      mkdirSync(dir);
      const s = JSON.parse(readFileSync(join(ROOT, SETTINGS), 'utf8'));
      row.settings(s);
      settingsFile = join(dir, 'dev.json');
      writeFileSync(settingsFile, JSON.stringify(s, null, 2));
    }
    // Two at a time: wait for the slot two rows back before starting this one.
    const wait = slots[i - 2] ?? Promise.resolve();
    const env = { BERTH_HOSTILE_CASE: row.services ?? row.case, ...(settingsFile ? { BERTH_HOSTILE_SETTINGS: settingsFile } : {}) };
    const p = wait.then(() => build(env)).then((r) => ({ ...r, settingsFile, env }));
    slots.push(p);
    results.set(i, p);
  });
});

after(() => rmSync(scratch, { recursive: true, force: true }));

ROWS.forEach((row, i) => {
  test(`fails when ${row.settings ? 'the settings have' : 'a service has'} ${row.case}: one located line, exit 1, output untouched`, async () => {
    const r = await results.get(i)!;
    const where = r.settingsFile ? row.where.replace('SETTINGS', relative(ROOT, r.settingsFile)) : row.where;
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `exactly one line:\n${r.stderr}`);
    assert.ok(lines[0]!.startsWith(`error: ${where}: `), `names ${where}:\n${lines[0]}`);
    assert.match(lines[0]!, row.says);
    assert.doesNotMatch(r.stderr, /^\s+at |Error:|node:internal/m, 'no stack trace');
    assert.doesNotMatch(lines[0]!, /templates\/services\//, 'names the file the service is defined in');
    // Nothing written: the same files with the same bytes, nothing stray.
    assert.deepEqual(tree(out), snapshot);
  });
});

test('the CLI run from source says what the compiled one says, to the byte (every tenth case)', async () => {
  for (const [i, result] of [...results].filter(([i]) => i % 10 === 0)) {
    const compiled = await result;
    const source = await build(compiled.env, 'source');
    assert.deepEqual({ status: source.status, stderr: source.stderr }, { status: compiled.status, stderr: compiled.stderr }, ROWS[i]!.case);
  }
});

test('docs/data-stores.md shows the error line a real run prints', async () => {
  const i = ROWS.findIndex((r) => r.case === 'store-not-in-estate');
  const line = (await results.get(i)!).stderr.trim();
  assert.ok(readFileSync(join(ROOT, 'docs/data-stores.md'), 'utf8').includes(`\n${line}\n`), `docs/data-stores.md shows:\n${line}`);
});

test('docs/services.md shows the error line a real run prints', async () => {
  const i = ROWS.findIndex((r) => r.case === 'cron-minute-range');
  const line = (await results.get(i)!).stderr.trim();
  assert.ok(readFileSync(join(ROOT, 'docs/services.md'), 'utf8').includes(`\n${line}\n`), `docs/services.md shows:\n${line}`);
});
