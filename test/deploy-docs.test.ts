/**
 * The deploy and Service Catalog guides show only what the code does: every `scripts/deploy.sh`
 * and `make` command in docs/deploying.md, docs/service-catalog.md and the README's deploy
 * sections uses options and targets that exist, and the sample lines are what the code prints.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './_helpers.ts';
import { chooseRegion } from '../scripts/preflight-region.ts';
import { removeCommand } from '../scripts/deploy-teardown.ts';

const DOCS = ['docs/deploying.md', 'docs/service-catalog.md', 'README.md'].map((f) => ({ f, text: readFileSync(join(ROOT, f), 'utf8') }));
const help = spawnSync('bash', [join(ROOT, 'scripts/deploy.sh'), '--help'], { encoding: 'utf8' }).stdout;
const targets = new Set([...readFileSync(join(ROOT, 'Makefile'), 'utf8').matchAll(/^([a-z-]+):/gm)].map((m) => m[1]));

test('every scripts/deploy.sh and make command in the deploy docs uses options and targets that exist', () => {
  let commands = 0;
  for (const { f, text } of DOCS) {
    for (const m of text.matchAll(/(?:^|`)(scripts\/deploy\.sh [^`\n#]*|make [a-z-]+(?: [A-Z_]+=\S+)*)/g)) {
      const cmd = m[1]!.trim();
      commands++;
      if (cmd.startsWith('make ')) {
        assert.ok(targets.has(cmd.split(' ')[1]!), `${f}: ${cmd}`);
        continue;
      }
      for (const flag of cmd.match(/--[a-z-]+/g) ?? []) assert.ok(help.includes(flag), `${f}: ${cmd}: ${flag}`);
    }
  }
  assert.ok(commands > 10);
});

test('the sample lines in docs/deploying.md are what the preflight and the teardown print', () => {
  const text = DOCS[0]!.text;
  const junk = chooseRegion(undefined, { region: 'eu-west-1', source: 'x' }, { AWS_REGION: 'junk' }, new Set(['eu-west-1']));
  assert.ok('problem' in junk && text.includes(junk.problem), 'the AWS_REGION=junk line');
  const sample = text.slice(text.indexOf('Kept by their DeletionPolicy'));
  for (const [type, id] of [['AWS::KMS::Key', '5e50a785-cfe3-4dcd-b7a2-8cf2b46036d5'], ['AWS::Logs::LogGroup', '/berth/dev/web']] as const) {
    // The layout deploy.sh prints (printf '  %-28s %s\n    %s\n'), with removeCommand's command.
    assert.ok(sample.includes(`  ${type.padEnd(28)} ${id}\n    ${removeCommand(type, id, 'eu-west-1')}\n`), type);
  }
});
