// StrykerJS: `make mutation` (never part of `make test`). Mutates the emitter, the DSL core and the
// settings code, and runs the focused suites that exercise them through the TAP runner (node:test
// prints TAP). scripts/mutation-score.ts then checks every file's score against the target.
// https://stryker-mutator.io/docs/stryker-js/configuration/
import { readFileSync } from 'node:fs';

/** `templates/settings/settings.ts:<first>-<last>`: the lines of `checkSettings` and its helpers. */
function settingsChecks() {
  const file = 'templates/settings/settings.ts';
  const lines = readFileSync(file, 'utf8').split('\n');
  const first = lines.findIndex((l) => l.startsWith('/** Semantic checks beyond the schema')) + 1;
  if (first === 0) throw new Error(`${file}: cannot find checkSettings`);
  let last = first;
  for (let i = first; i < lines.length; i++) if (lines[i] === '}') last = i + 1;
  return `${file}:${first}-${last}`;
}

export default {
  testRunner: 'tap',
  tap: {
    testFiles: (
      process.env.MUTATION_TESTS ??
      'test/yaml.test.ts test/yaml-roundtrip.test.ts test/template.test.ts test/template-document.test.ts test/intrinsic.test.ts test/cidr.test.ts test/json.test.ts test/loader.test.ts test/settings.test.ts test/settings-schema.test.ts'
    ).split(' '),
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  mutate: (process.env.MUTATION_FILES?.split(' ') ?? [
    'src/emit/yaml.ts',
    'src/emit/_yaml-writer.ts',
    'src/dsl/template.ts',
    'src/dsl/intrinsic.ts',
    'src/settings/cidr.ts',
    'src/settings/loader.ts',
    'src/settings/json.ts',
    settingsChecks(),
  ]),
  coverageAnalysis: 'perTest',
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 20000,
  ignorePatterns: ['reports', 'output', 'bench', 'dist', '.venv', '.stamps', '.git'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: process.env.MUTATION_REPORT ?? 'reports/mutation/mutation.json' },
  tempDirName: '.tmp/stryker',
  cleanTempDir: true,
  thresholds: { high: 90, low: 85, break: null },
};
