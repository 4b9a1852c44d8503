/**
 * berth against a hostile user, one row per case: a bad `--out`, a folder berth does not own,
 * broken or dangerous settings, a broken estate or service, stale compiled code. Each row runs
 * the CLI (compiled, as `make build` does, and from source where the two could differ) in a
 * sandbox of the repository and asserts: the exit code; exactly one line on stderr, naming the
 * file and the field (or flag); no stack trace; and `output/` byte-identical with no stray entry,
 * as is any folder the row pointed --out at. Other helpers' suites hold the service and deploy cases.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixtureEstateOutput, installFixtureEstate, ROOT, run, type Run, sandbox, tempDir } from './_helpers.ts';

const dir = sandbox({ make: true });
const scratch = tempDir('hostile');
let compiled = '';

before(() => {
  // The sandbox's compiled CLI (the fixture estate's, compiled once per run and copied with the
  // sandbox: its paths are relative, so it runs the sandbox's own src/).
  compiled = join(dir, 'dist/berth.cjs');
  assert.ok(existsSync(compiled), compiled);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

/** Every file and folder under `root` with its content, for byte-for-byte comparison. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const key = path.slice(root.length + 1);
    out[key] = entry.isFile() ? readFileSync(path, 'latin1') : entry.isSymbolicLink() ? '-> link' : '/';
  }
  return out;
}

const ENV = (name: string) => join(dir, 'templates/environments', `${name}.json`);
/** The rows edit a fixture copy of the dev settings (line numbers and fields are the fixture's, not the estate's). */
const FIXTURE = readFileSync(join(ROOT, 'test/fixtures/settings/dev.json'), 'utf8');
/** Writes the fixture dev settings with `change` applied (a JSON edit), or the raw text given. */
const editDev = (change: ((s: Record<string, any>) => void) | string | Buffer) => () => {
  if (typeof change === 'function') {
    const s = JSON.parse(FIXTURE) as Record<string, any>;
    change(s);
    writeFileSync(ENV('dev'), JSON.stringify(s, null, 2));
  } else writeFileSync(ENV('dev'), change);
};
/** The dev settings' text with `from` replaced by `to` (to keep the file as a person edits it). */
const replaceInDev = (from: string, to: string) => () => {
  assert.ok(FIXTURE.includes(from), from);
  writeFileSync(ENV('dev'), FIXTURE.replace(from, to));
};

interface Row {
  readonly name: string;
  /** Arguments after `build` (default: none, every environment into output/). */
  readonly args?: readonly string[];
  readonly setup?: () => void;
  /** How to run it: the compiled CLI, from source, or both (default: compiled). */
  readonly via?: 'compiled' | 'source' | 'both';
  /** The one line, after `error: `. */
  readonly line: RegExp;
  /** What the line must name: the file or flag, and the field. */
  readonly names: readonly string[];
  /** @default 1 */
  readonly code?: number;
  /** Extra folders that must be left as they were. */
  readonly untouched?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

const home = join(scratch, 'home');
mkdirSync(join(home, 'Documents'), { recursive: true });
writeFileSync(join(home, '.bashrc'), 'export PS1=x\n');
writeFileSync(join(home, 'Documents', 'notes.txt'), 'mine');
writeFileSync(join(scratch, 'a-file'), 'x');
const emptyEstate = join(scratch, 'empty-estate.ts');
writeFileSync(emptyEstate, 'export const notAnEstate = 1;\n');
writeFileSync(join(scratch, 'estate.json'), '{}');
writeFileSync(join(scratch, 'estate.txt'), 'estate');
/** An estate module whose one template holds `value` at Resources.Topic.Properties.DisplayName. */
const valueEstate = (name: string, value: string) => {
  const file = join(scratch, `${name}.ts`);
  writeFileSync(
    file,
    `import { Template } from '${join(dir, 'src/dsl/template.ts')}';
export const estate = {
  environments: ['blue'],
  settingsFile: () => 'fixture',
  synthesize() {
    const t = new Template({ name: 'root', description: 'hostile' });
    t.resource('Topic', 'AWS::SNS::Topic', { DisplayName: ${value} as never });
    return [t];
  },
};
`,
  );
  return file;
};

const ROWS: readonly Row[] = [
  // §1: never delete or change what berth did not write.
  { name: '--out . (the project itself)', args: ['--out', '.'], line: /^Makefile: is a file berth did not write, in the output folder `\.`\. berth replaces and removes only its own files \(templates that start with `# Generated by berth`, the diagram\), so it writes nothing here: move that entry out, or pass another --out\.$/, names: ['Makefile', '--out'], untouched: ['src', 'templates', 'dist', 'scripts'] },
  { name: '--out a home folder', args: ['--out', home], line: /\/home\/Documents\/notes\.txt: is a file berth did not write, in the output folder `.*\/home`\./, names: ['notes.txt', '--out'], untouched: [home] },
  { name: '--out an empty string', args: ['--out', ''], line: /^--out: is empty\. Pass a folder, such as `output` \(or leave --out out for that default\)\.$/, names: ['--out'], via: 'both' },
  { name: '--out only spaces', args: ['--out', '   '], line: /^--out: is empty\./, names: ['--out'] },
  { name: '--out with a line break', args: ['--out', 'out\nput'], line: /^--out: `"out\\nput"` holds a control character\. Pass a plain path\.$/, names: ['--out'] },
  { name: '--out a file', args: ['--out', join(scratch, 'a-file')], line: /^--out: `.*\/a-file` is a file, not a folder\. Pass a folder for the templates \(it is created if missing\), such as `output`\.$/, names: ['--out', 'a-file'], untouched: [scratch] },
  { name: '--out /dev/null', args: ['--out', '/dev/null'], line: /^--out: `\/dev\/null` is a character device, not a folder\./, names: ['--out', '/dev/null'] },
  { name: '--out below a file', args: ['--out', join(scratch, 'a-file', 'out')], line: /\/a-file\/out: cannot be written or read \(ENOTDIR\): a part of the path is a file, not a folder\. Pass another --out\.$/, names: ['a-file/out', '--out'] },
  { name: '--out where no folder can be made (/sys)', args: ['--out', '/sys/berth-out'], line: /^\/sys\/berth-out: cannot be written or read \(EPERM\): operation not permitted\. Make it writable, or pass another --out\.$/, names: ['/sys/berth-out', '--out'] },
  { name: '--out under /proc (Node\'s recursive mkdir would spin)', args: ['--out', '/proc/berth-out/x'], line: /^\/proc\/berth-out: cannot be written or read \(ENOENT\): no folder can be created there\. Pass another --out\.$/, names: ['/proc/berth-out', '--out'] },
  { name: 'output/dev is a file', setup: () => (rmSync(join(dir, 'output/dev'), { recursive: true }), writeFileSync(join(dir, 'output/dev'), 'x')), line: /^output\/dev: is a file berth did not write, in the output folder `output`\./, names: ['output/dev'] },
  { name: 'a target .yaml is a folder', setup: () => (rmSync(join(dir, 'output/dev/network.yaml')), mkdirSync(join(dir, 'output/dev/network.yaml'))), line: /^output\/dev\/network\.yaml: is a folder berth did not write/, names: ['output/dev/network.yaml'] },
  { name: 'a file of the user\'s in an environment folder', setup: () => writeFileSync(join(dir, 'output/dev/notes.md'), 'mine'), line: /^output\/dev\/notes\.md: is a file berth did not write/, names: ['output/dev/notes.md'] },
  { name: 'a template edited by hand (its header removed)', setup: () => writeFileSync(join(dir, 'output/dev/network.yaml'), 'Resources: {}\n'), line: /^output\/dev\/network\.yaml: is a file berth did not write/, names: ['output/dev/network.yaml'] },
  { name: 'a README beside the environments', setup: () => writeFileSync(join(dir, 'output/README.md'), '# mine'), line: /^output\/README\.md: is a file berth did not write/, names: ['output/README.md'] },
  { name: 'a symbolic link in an environment folder', setup: () => symlinkSync('/etc/hostname', join(dir, 'output/dev/extra.yaml')), line: /^output\/dev\/extra\.yaml: is a symbolic link berth did not write/, names: ['output/dev/extra.yaml'] },
  { name: 'a folder of the user\'s beside the environments (pruning would remove it)', setup: () => (mkdirSync(join(dir, 'output/keep')), writeFileSync(join(dir, 'output/keep/data.csv'), '1,2')), line: /^output\/keep\/data\.csv: is a file berth did not write/, names: ['output/keep/data.csv'] },
  { name: 'another build holds the lock', setup: () => writeFileSync(join(dir, 'output/.berth-lock'), `${process.pid}\n`), line: new RegExp(`^output: another berth build \\(process ${process.pid}\\) is writing here\\. Wait for it to finish; if no berth runs, remove \`output/\\.berth-lock\`\\.$`), names: ['output', '.berth-lock'] },
  // CLI flags and the estate module.
  { name: 'an unknown environment', args: ['--env', 'qa'], line: /^--env: unknown environment `qa`\. Known environments: `dev`, `prod`/, names: ['--env', 'qa'], via: 'both' },
  { name: 'an empty environment', args: ['--env', ''], line: /^--env: unknown environment ``\./, names: ['--env'] },
  { name: 'an unknown option', args: ['--outdir', 'x'], line: /^berth build: Unknown option '--outdir'\. Run `berth build --help` for the options\.$/, names: ['berth build', '--outdir'] },
  { name: '--estate missing', args: ['--estate', 'templates/nope.ts'], line: /^--estate: cannot find the estate module `templates\/nope\.ts`\./, names: ['--estate', 'templates/nope.ts'], via: 'both' },
  { name: '--estate a folder', args: ['--estate', 'templates'], line: /^--estate: `templates` is a folder, not a module\./, names: ['--estate', 'templates'] },
  { name: '--estate a JSON file', args: ['--estate', join(scratch, 'estate.json')], line: /^--estate: `.*estate\.json` is not a JavaScript or TypeScript module\./, names: ['--estate', 'estate.json'] },
  { name: '--estate a text file', args: ['--estate', join(scratch, 'estate.txt')], line: /^--estate: `.*estate\.txt` is not a JavaScript or TypeScript module\./, names: ['--estate', 'estate.txt'] },
  { name: '--estate exporting no estate', args: ['--estate', emptyEstate], line: /empty-estate\.ts: exports no `estate`\. Export `const estate: Estate` from it/, names: ['empty-estate.ts', 'estate'] },
  { name: '--estate empty', args: ['--estate', ''], line: /^--estate: is empty\. Pass a module, such as `templates\/estate\.ts`/, names: ['--estate'] },
  // §4: a service with a syntax error, stale compiled code.
  { name: 'a syntax error in a service file (from source)', setup: () => writeFileSync(join(dir, 'templates/services/web.ts'), `${readFileSync(join(dir, 'templates/services/web.ts'), 'utf8')}\nexport const broken = {\n  a: 1\n  b: 2,\n};\n`), via: 'source', line: /^templates\/services\/web\.ts:\d+:3: Expected "}" but found "b"\. Fix the syntax there\.$/, names: ['templates/services/web.ts'] },
  { name: 'the compiled CLI after a service file changed', setup: () => writeFileSync(join(dir, 'templates/services/web.ts'), `${readFileSync(join(dir, 'templates/services/web.ts'), 'utf8')}\n// edited\n`), line: /^templates\/services\/web\.ts: changed since dist\/berth\.cjs was compiled from it, which would run the old code\. Run `make build` \(it compiles first\), or run from source: node --import tsx src\/cli\/main\.ts\.$/, names: ['templates/services/web.ts', 'dist/berth.cjs'] },
  // §2: what a template cannot carry.
  { name: 'a control character in a template string', args: ['--estate', valueEstate('bell', "'a\\u0007b'"), '--out', join(scratch, 'bell-out')], line: /^blue\/root\.yaml: Resources\.Topic\.Properties\.DisplayName: the string `"a\\u0007b"` holds U\+0007 \(a control character\) at index 1, which a CloudFormation template cannot carry\./, names: ['blue/root.yaml', 'DisplayName'], via: 'source', untouched: [join(scratch, 'bell-out')] },
  { name: 'half of an emoji in a template string', args: ['--estate', valueEstate('surrogate', "'x\\ud83d'"), '--out', join(scratch, 'half-out')], line: /^blue\/root\.yaml: Resources\.Topic\.Properties\.DisplayName: the string .* holds U\+D83D \(half of a surrogate pair\) at index 1/, names: ['blue/root.yaml', 'DisplayName'], via: 'source' },
  { name: 'a number that is not finite', args: ['--estate', valueEstate('nan', 'Number.NaN'), '--out', join(scratch, 'nan-out')], line: /^blue\/root\.yaml: Resources\.Topic\.Properties\.DisplayName: is NaN, which a template cannot hold/, names: ['blue/root.yaml', 'DisplayName'], via: 'source' },
  { name: 'a value that is not data (a Date)', args: ['--estate', valueEstate('date', 'new Date(0)'), '--out', join(scratch, 'date-out')], line: /^blue\/root\.yaml: Resources\.Topic\.Properties\.DisplayName: is a Date, which a template cannot hold\./, names: ['blue/root.yaml', 'DisplayName'], via: 'source' },
  // §5: the settings file.
  { name: 'a key given twice', setup: replaceInDev('"natGateways": "single",', '"natGateways": "single",\n    "natGateways": "none",'), line: /^templates\/environments\/dev\.json:9:5: network\.natGateways: is given twice \(first at line 8\); JSON would keep only the last one, silently\. Remove one of them\.$/, names: ['templates/environments/dev.json', 'network.natGateways'], via: 'both' },
  { name: 'a trailing comma', setup: replaceInDev('"flowLogRetentionDays": 30\n', '"flowLogRetentionDays": 30,\n'), line: /^templates\/environments\/dev\.json:11:3: is not valid JSON: a comma before `}`, in line 11: `},`\. JSON allows no comma after the last entry: remove it\.$/, names: ['templates/environments/dev.json:11:3'] },
  { name: 'a missing comma', setup: replaceInDev('"availabilityZones": 2,', '"availabilityZones": 2'), line: /^templates\/environments\/dev\.json:8:5: is not valid JSON: `"` where `,` or `}` after the entry should be, in line 8: `"natGateways": "single",`\. A comma is missing after the entry that ends before it: add `,`\.$/, names: ['templates/environments/dev.json:8:5'] },
  { name: 'single quotes', setup: replaceInDev('"natGateways": "single"', "'natGateways': 'single'"), line: /^templates\/environments\/dev\.json:8:5: is not valid JSON: `'` where a key in double quotes should be, .*replace `'` with `"`\.$/, names: ['templates/environments/dev.json:8:5'] },
  { name: 'a comment', setup: replaceInDev('"natGateways": "single",', '"natGateways": "single", // one NAT'), line: /^templates\/environments\/dev\.json:8:30: is not valid JSON: `\/` where a key in double quotes should be, in line 8: `"natGateways": "single", \/\/ one NAT`\. JSON has no comments: remove it\.$/, names: ['templates/environments/dev.json:8:30'] },
  { name: 'an unquoted key', setup: replaceInDev('"natGateways":', 'natGateways:'), line: /^templates\/environments\/dev\.json:8:5: is not valid JSON: `natGateways` where a key in double quotes should be, .*Keys take double quotes in JSON: write `"natGateways"`\.$/, names: ['templates/environments/dev.json:8:5', 'natGateways'] },
  { name: 'a Python literal', setup: replaceInDev('"deletionProtection": false', '"deletionProtection": False'), line: /^templates\/environments\/dev\.json:\d+:\d+: is not valid JSON: `False` where a value should be, .*JSON's literals are lower-case: write `false`\.$/, names: ['templates/environments/dev.json', 'False'] },
  { name: 'NaN', setup: replaceInDev('"volumeSizeGiB": 30', '"volumeSizeGiB": NaN'), line: /^templates\/environments\/dev\.json:\d+:\d+: is not valid JSON: `NaN` where a value should be, .*JSON has no `NaN`/, names: ['templates/environments/dev.json', 'NaN'] },
  { name: 'a file cut short', setup: () => writeFileSync(ENV('dev'), FIXTURE.slice(0, 200)), line: /^templates\/environments\/dev\.json:\d+:\d+: is not valid JSON: the file ends where .* should follow \(the `\{` at \d+:\d+ is not closed\)/, names: ['templates/environments/dev.json'] },
  { name: 'an empty file', setup: editDev(''), line: /^templates\/environments\/dev\.json:1:1: is not valid JSON: the file is empty/, names: ['templates/environments/dev.json'] },
  { name: 'a UTF-16 file', setup: editDev(Buffer.from(`\ufeff${FIXTURE}`, 'utf16le')), line: /^templates\/environments\/dev\.json: is UTF-16 text \(it starts with a UTF-16 byte-order mark\)\. Save it as UTF-8\.$/, names: ['templates/environments/dev.json'] },
  { name: 'a Latin-1 file', setup: editDev(Buffer.from(FIXTURE.replace('"dev"', '"d\xe9v"'), 'latin1')), line: /^templates\/environments\/dev\.json: is not UTF-8 text \(byte 0xE9 at offset \d+ starts no UTF-8 character\)\. Save it as UTF-8\.$/, names: ['templates/environments/dev.json'] },
  { name: 'maxSize 1e21', setup: replaceInDev('"maxSize": 3', '"maxSize": 1e21'), line: /^templates\/environments\/dev\.json: cluster\.capacity\.maxSize: 1e\+21 must be <= 5000 \(instances, 1 to 5000 \(the most an ECS cluster registers\)\)\. Fix the value\.$/, names: ['templates/environments/dev.json', 'cluster.capacity.maxSize'], via: 'both' },
  { name: 'a number too large for a number', setup: replaceInDev('"maxSize": 3', '"maxSize": 1e400'), line: /^templates\/environments\/dev\.json:\d+:\d+: is not valid JSON: `1e400` is too large to be a number/, names: ['templates/environments/dev.json', '1e400'] },
  { name: 'a service with more tasks than ECS runs', setup: editDev((s) => (s.services.web.maxCount = 5001)), line: /^templates\/environments\/dev\.json: services\.web\.maxCount: 5001 must be <= 5000/, names: ['templates/environments/dev.json', 'services.web.maxCount'] },
  { name: 'a volume larger than gp3 allows', setup: editDev((s) => (s.cluster.capacity.volumeSizeGiB = 16385)), line: /^templates\/environments\/dev\.json: cluster\.capacity\.volumeSizeGiB: 16385 must be <= 16384/, names: ['templates/environments/dev.json', 'cluster.capacity.volumeSizeGiB'] },
  { name: 'a CIDR with a leading zero', setup: editDev((s) => (s.network.vpcCidr = '010.10.0.0/16')), line: /^templates\/environments\/dev\.json: network\.vpcCidr: `010\.10\.0\.0\/16` is not a valid IPv4 CIDR block: `010` has a leading zero, which some tools read as octal\. Write `10\.10\.0\.0\/16` if that is the block meant\.$/, names: ['templates/environments/dev.json', 'network.vpcCidr'], via: 'both' },
  { name: 'a subnet with a leading zero', setup: editDev((s) => (s.network.subnets = { public: ['10.10.0.0/24', '10.10.01.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24'] })), line: /^templates\/environments\/dev\.json: network\.subnets\.public\[1\]: `10\.10\.01\.0\/24` .*`01` has a leading zero/, names: ['templates/environments/dev.json', 'network.subnets.public[1]'] },
  { name: 'a multicast VPC', setup: editDev((s) => (s.network.vpcCidr = '224.1.0.0/16')), line: /^templates\/environments\/dev\.json: network\.vpcCidr: `224\.1\.0\.0\/16` overlaps `224\.0\.0\.0\/4`, multicast \(RFC 5771\), which no VPC can use\./, names: ['templates/environments/dev.json', 'network.vpcCidr'] },
  { name: 'a loopback VPC', setup: editDev((s) => (s.network.vpcCidr = '127.0.0.0/16')), line: /^templates\/environments\/dev\.json: network\.vpcCidr: `127\.0\.0\.0\/16` overlaps `127\.0\.0\.0\/8`, loopback/, names: ['templates/environments/dev.json', 'network.vpcCidr'] },
  { name: 'a link-local VPC', setup: editDev((s) => (s.network.vpcCidr = '169.254.0.0/16')), line: /^templates\/environments\/dev\.json: network\.vpcCidr: `169\.254\.0\.0\/16` overlaps `169\.254\.0\.0\/16`, link-local/, names: ['templates/environments/dev.json', 'network.vpcCidr'] },
  { name: 'a VPC in 0.0.0.0/8', setup: editDev((s) => (s.network.vpcCidr = '0.10.0.0/16')), line: /^templates\/environments\/dev\.json: network\.vpcCidr: `0\.10\.0\.0\/16` overlaps `0\.0\.0\.0\/8`, "this network"/, names: ['templates/environments/dev.json', 'network.vpcCidr'] },
  { name: 'a VPC on Docker\'s bridge network', setup: editDev((s) => (s.network.vpcCidr = '172.17.0.0/16')), line: /^templates\/environments\/dev\.json: network\.vpcCidr: `172\.17\.0\.0\/16` overlaps `172\.17\.0\.0\/16`, the Docker bridge network/, names: ['templates/environments/dev.json', 'network.vpcCidr'] },
  { name: 'a key-pair name over 255 characters', setup: editDev((s) => (s.cluster.capacity.keyPairName = 'k'.repeat(256))), line: /^templates\/environments\/dev\.json: cluster\.capacity\.keyPairName: a 256-character string must NOT have more than 255 characters/, names: ['templates/environments/dev.json', 'cluster.capacity.keyPairName'] },
  { name: 'a key-pair name with a control character', setup: editDev((s) => (s.cluster.capacity.keyPairName = 'ops\u001bkey')), line: /^templates\/environments\/dev\.json: cluster\.capacity\.keyPairName: expected an EC2 key pair name: 1 to 255 printable ASCII characters, got `"ops\\u001bkey"`\. Fix the value\.$/, names: ['templates/environments/dev.json', 'cluster.capacity.keyPairName'] },
  { name: 'a Region that does not exist', setup: editDev((s) => (s.region = 'eu-west-9')), line: /^templates\/environments\/dev\.json: region: `eu-west-9` is not a known value; did you mean `eu-west-1`\? The schema \(templates\/settings\/settings\.schema\.json\) lists every allowed value\.$/, names: ['templates/environments/dev.json', 'region'], via: 'both' },
  { name: 'a Region misspelt', setup: editDev((s) => (s.region = 'us-esat-1')), line: /^templates\/environments\/dev\.json: region: `us-esat-1` is not a known value; did you mean `us-east-1`\?/, names: ['templates/environments/dev.json', 'region'] },
  { name: 'a Region of another planet', setup: editDev((s) => (s.region = 'mars-north-1')), line: /^templates\/environments\/dev\.json: region: `mars-north-1` is not a known value\. The schema/, names: ['templates/environments/dev.json', 'region'] },
];

/** Puts the sandbox back: the fixture estate's settings and services, and its output/. */
function restore(): void {
  installFixtureEstate(dir);
  rmSync(join(dir, 'output'), { recursive: true, force: true });
  cpSync(fixtureEstateOutput(), join(dir, 'output'), { recursive: true });
}

function spawnCli(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    // A hang (Node's recursive mkdir under /proc) fails the row instead of the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

test(`the hostile table has at least 40 rows (${ROWS.length})`, () => {
  assert.ok(ROWS.length >= 40);
  assert.equal(new Set(ROWS.map((r) => r.name)).size, ROWS.length, 'row names are unique');
});

for (const row of ROWS) {
  const vias = row.via === 'both' ? (['compiled', 'source'] as const) : [row.via ?? 'compiled'];
  for (const via of vias) {
    test(`hostile (${via}): ${row.name}`, async () => {
      restore();
      row.setup?.();
      const output = tree(join(dir, 'output'));
      const others = (row.untouched ?? []).map((p) => {
        const path = p.startsWith('/') ? p : join(dir, p);
        return [path, tree(path)] as const;
      });
      const argv = via === 'compiled' ? [process.execPath, compiled, 'build', ...(row.args ?? [])] : [process.execPath, '--import', 'tsx', join(dir, 'src/cli/main.ts'), 'build', ...(row.args ?? [])];
      const r = await spawnCli(argv, row.env);
      assert.equal(r.status, row.code ?? 1, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, /^error: [^\n]+\n$/, 'exactly one line on stderr');
      assert.doesNotMatch(r.stderr, /\n\s+at |node:internal|Error:/, 'no stack trace');
      const line = r.stderr.slice('error: '.length, -1);
      assert.match(line, row.line);
      for (const name of row.names) assert.ok(line.includes(name), `the line names ${name}: ${line}`);
      assert.deepEqual(tree(join(dir, 'output')), output, 'output/ byte-identical, no stray entry');
      for (const [path, before] of others) assert.deepEqual(tree(path), before, `${path} untouched`);
    });
  }
}

test('duplicate --env is built once; a BOM in a settings file is accepted (the compiled CLI)', async () => {
  restore();
  const r = await spawnCli([process.execPath, compiled, 'build', '--env', 'dev', '--env', 'dev', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  writeFileSync(ENV('dev'), `\ufeff${readFileSync(ENV('dev'), 'utf8')}`);
  const bom = await spawnCli([process.execPath, compiled, 'build', '--check']);
  assert.equal(bom.status, 0, bom.stderr);
  assert.deepEqual(tree(join(dir, 'output')), tree(fixtureEstateOutput()));
});

test('the README\'s sample error is what `make build` prints, and make exits 2', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const sample = /```\n\$ make build\n(error: templates\/environments\/prod\.json: [^\n]+\nmake: [^\n]+\n)```/.exec(readme);
  assert.ok(sample, 'the README shows a `make build` error');
  const made = sandbox({ make: true });
  try {
    const prod = join(made, 'templates/environments/prod.json');
    const s = JSON.parse(readFileSync(prod, 'utf8'));
    s.network.subnets = { public: ['10.20.0.0/24', '10.20.1.0/24', '10.20.2.0/24'], application: ['10.20.0.0/23', '10.20.11.0/24', '10.20.12.0/24'], database: ['10.20.20.0/24', '10.20.21.0/24', '10.20.22.0/24'] };
    // The usual case: the compiled CLI is current, the settings change (a source change would
    // stop the same mistake one step earlier, where the bundle is built: `[Makefile:NN: dist/berth.cjs]`).
    // As a person runs it: not a sub-make of `make test` (which would print `make[1]:`).
    const make = (...args: string[]) => run(made, ['env', '-u', 'MAKELEVEL', '-u', 'MAKEFLAGS', '-u', 'MFLAGS', 'make', '-s', ...args]);
    assert.equal(make('dist/berth.cjs').status, 0);
    writeFileSync(prod, JSON.stringify(s, null, 2));
    const before = tree(join(made, 'output'));
    const r = make('build');
    assert.equal(r.status, 2);
    assert.equal(r.stderr, sample[1]);
    assert.deepEqual(tree(join(made, 'output')), before);
    assert.ok(statSync(join(made, 'dist/berth.cjs')).isFile(), 'the bundle was built (and type-checked) first');
  } finally {
    rmSync(made, { recursive: true, force: true });
  }
});

test('docs/output.md\'s sample refusal is what berth prints for `--out .`', async () => {
  restore();
  const doc = readFileSync(join(ROOT, 'docs/output.md'), 'utf8');
  const sample = /\$ node dist\/berth\.cjs build --out \.\n\s*(error: [^\n]+)\n/.exec(doc);
  assert.ok(sample, 'docs/output.md shows the refusal');
  const r = await spawnCli([process.execPath, compiled, 'build', '--out', '.']);
  assert.equal(r.stderr, `${sample[1]}\n`);
});
