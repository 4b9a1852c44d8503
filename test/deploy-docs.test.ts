/**
 * The deploy guide shows only what the code does: the sample lines of docs/deploying.md are what
 * the preflight and the teardown print. (Every `scripts/deploy.sh` and `make` command in the
 * README and docs/ is checked by test/docs.test.ts: options, targets, environments, templates
 * and parameters.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './_helpers.ts';
import { chooseRegion } from '../scripts/preflight-region.ts';
import { removeCommand } from '../scripts/deploy-teardown.ts';

const DOCS = ['docs/deploying.md'].map((f) => ({ f, text: readFileSync(join(ROOT, f), 'utf8') }));

test('the sample lines in docs/deploying.md are what the preflight and the teardown print', () => {
  const text = DOCS[0]!.text;
  const junk = chooseRegion(undefined, { region: 'eu-west-1', source: 'x' }, { AWS_REGION: 'junk' }, new Set(['eu-west-1']));
  assert.ok('problem' in junk && text.includes(junk.problem), 'the AWS_REGION=junk line');
  const sample = text.slice(text.indexOf('Kept by their DeletionPolicy'));
  for (const [type, id] of [['AWS::KMS::Key', '5e50a785-cfe3-4dcd-b7a2-8cf2b46036d5'], ['AWS::Logs::LogGroup', '/berth/dev/web'], ['AWS::SNS::Topic', 'arn:aws:sns:eu-west-1:111122223333:berth-dev-alarms']] as const) {
    // The layout deploy.sh prints (printf '  %-28s %s\n    %s\n'), with removeCommand's command.
    assert.ok(sample.includes(`  ${type.padEnd(28)} ${id}\n    ${removeCommand(type, id, 'eu-west-1')}\n`), type);
  }
});
