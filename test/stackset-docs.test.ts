/**
 * docs/many-accounts.md shows only what works: its `scripts/deploy.sh` and `make` commands use
 * options and targets that exist, its `targets` examples load as settings, and its `aws` commands
 * pass the pinned AWS CLI's parameter validation (they fail only on the closed endpoint). Its
 * sample outputs are checked against real runs by the tests that make them
 * (test/_doc-samples.ts: stackset.test.ts, stackset-drift.test.ts, stackset-share.test.ts), and
 * the anchors berth's own messages point at exist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../templates/settings/settings.ts';
import { docSample } from './_doc-samples.ts';
import { ROOT } from './_helpers.ts';
import { AwsCli, awsEnv } from './_moto-aws.ts';

const DOC = readFileSync(join(ROOT, 'docs/many-accounts.md'), 'utf8');
const blocks = (lang: string) => [...DOC.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\`$`, 'gm'))].map((m) => m[1]!);
/** The shell commands of the `sh` blocks, continuation lines joined, comments dropped. */
const commands = blocks('sh').flatMap((b) => b.replace(/\\\n\s*/g, '').split('\n')).map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));

test('every scripts/deploy.sh and make command uses options and targets that exist', () => {
  const help = spawnSync('bash', [join(ROOT, 'scripts/deploy.sh'), '--help'], { encoding: 'utf8' }).stdout;
  const targets = new Set([...readFileSync(join(ROOT, 'Makefile'), 'utf8').matchAll(/^([a-z-]+):/gm)].map((m) => m[1]));
  let n = 0;
  for (const m of DOC.matchAll(/(?:^|`)(scripts\/deploy\.sh [^`\n#]*|make [a-z-]+(?: [A-Z_]+=(?:'[^']*'|\S+))*)/gm)) {
    const cmd = m[1]!.trim();
    n++;
    if (cmd.startsWith('make ')) assert.ok(targets.has(cmd.split(' ')[1]!), cmd);
    else for (const flag of cmd.match(/--[a-z-]+/g) ?? []) assert.ok(help.includes(flag), `${cmd}: ${flag}`);
  }
  assert.ok(n >= 10, `${n} commands`);
  // make publish SHARE=... passes each node to deploy.sh.
  const make = spawnSync('make', ['-n', 'publish', 'ENV=prod', 'SHARE=ou-ab12-cd345678 ou-ab12-ef901234'], { cwd: ROOT, encoding: 'utf8' });
  assert.match(make.stdout, /--share-with ou-ab12-cd345678 --share-with ou-ab12-ef901234/);
});

test('the targets examples load as settings', () => {
  const examples = blocks('json').filter((b) => b.startsWith('"targets"'));
  assert.equal(examples.length, 2);
  const dir = mkdtempSync(join(tmpdir(), 'berth-docs-'));
  try {
    const dev = JSON.parse(readFileSync(join(ROOT, 'templates/environments/dev.json'), 'utf8'));
    for (const example of examples) {
      const { targets } = JSON.parse(`{${example}}`);
      writeFileSync(join(dir, 'dev.json'), JSON.stringify({ ...dev, $schema: undefined, targets }));
      assert.deepEqual(loadSettings(join(dir, 'dev.json')).targets, targets);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the aws commands pass the AWS CLI\'s parameter validation', async () => {
  const aws = commands.filter((c) => c.startsWith('aws '));
  assert.ok(aws.length >= 7, aws.join('\n'));
  const cli = new AwsCli(awsEnv('http://127.0.0.1:9', 'eu-west-1', { AWS_DEFAULT_REGION: 'eu-west-1' }));
  try {
    for (const c of aws) {
      // Shell words: single-quoted strings kept whole.
      const words = [...c.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);
      const r = await cli.call(words);
      assert.match(r.stderr, /Could not connect to the endpoint URL/, `${c}: ${r.stderr}`);
    }
  } finally {
    cli.close();
  }
});

test('the anchors berth points at exist, and every sample block is checked by a run', () => {
  const anchors = new Set([...DOC.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  const sources = ['scripts/deploy-layers.ts', 'templates/stacks/service-group.ts', 'templates/stacks/service/priority-lock.ts', 'README.md', 'docs/many-accounts.md', 'docs/service-catalog.md'].map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
  const used = [...sources.matchAll(/many-accounts\.md#([a-z0-9-]+)/g)].map((m) => m[1]!);
  assert.ok(used.includes('moving-to-layers') && used.includes('estates-past-one-stack-operation'), used.join(' '));
  for (const a of used) assert.ok(anchors.has(a), `#${a}`);
  const samples = [...DOC.matchAll(/^<!-- sample: ([a-z-]+) -->$/gm)].map((m) => m[1]!);
  assert.deepEqual(samples, ['rollout', 'rollout-failure', 'drift', 'share']);
  const tests = ['test/stackset.test.ts', 'test/stackset-drift.test.ts', 'test/stackset-share.test.ts'].map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
  for (const name of samples) {
    assert.ok(docSample(name).length > 3, name);
    assert.match(tests, new RegExp(`assertDocSample\\('${name}', `), name);
  }
});
