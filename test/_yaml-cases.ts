/** Strings that are hard to write as YAML, shared by test/yaml.test.ts and test/yaml-roundtrip.test.ts. */

/** The hard cases: what YAML 1.1 or 1.2 would read as something else, or that needs an escape. */
export const HARD: readonly string[] = [
  // YAML 1.1 booleans and nulls, every capitalisation PyYAML resolves, and their 1.2 cousins.
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'on', 'On', 'ON', 'off', 'Off', 'OFF', 'null', 'Null', 'NULL', '~', 'yEs', 'nULL'],
  // Numbers of either version: octal, hex, binary, base 60, exponents without a dot, specials.
  ...['0', '-1', '+1', '007', '0123', '0o17', '0x1F', '0b101', '1_000', '1e3', '1E3', '1.5e-10', '.5', '1.', '-.5', '12:30:00', '190:20:30', '1:2', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '1e+21', '6.02e23'],
  // Timestamps, the merge key, the value key.
  ...['2024-01-01', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2002-12-14', '<<', '='],
  // Indicators at the start, inside and at the end.
  ...[': x', 'x: y', 'x:', 'x:y', '- x', '-', '--', '---', '--- x', '...', '#x', 'x #y', 'x# y', '&a', '*a', '!Ref x', '!', '!!str', '|', '|-', '>', '>-', '%YAML 1.2', '@x', '`x', "'q'", '"dq"', "it's", 'say "hi"', '? x', '?', '[a]', '{a: b}', ',', 'a, b', '[', ']', '{', '}', 'a:#b', 'http://x.y/z?a=b#c'],
  // Spaces and tabs, leading and trailing.
  ...['', ' ', '  ', ' lead', 'trail ', ' both ', '\t', 'a\tb', '\tlead', 'trail\t', 'a \tb'],
  // Line breaks of every kind, blank lines, indentation.
  ...['\n', 'a\n', 'a\n\n', 'a\n\n\n', '\na', '\n\na', 'a\r\nb', 'a\rb', '\r\n', 'line1\nline2', ' indented\nsecond', 'a\n b\n  c', '\n\n x', 'a\n \nb', 'a \nb', 'a\n\tb', 'tab end\t\nx'],
  // Unicode line and paragraph separators, NEL, NBSP, the BOM, emoji, other scripts.
  ...['a\u2028b', 'a\u2029b', 'a\u0085b', '\u0085', '\u00a0', 'a\u00a0', '\u00a0lead', '\ufeff', '\ufeffbom', 'a\ufeffb', '😀', 'a😀b', '😀\n😀', 'é', '日本語', 'a\u200bb'],
  // Very long lines: never folded.
  'x'.repeat(1100), // over 1024: a key takes the explicit form
  'word '.repeat(250).trim(),
  // Fn::Sub placeholders and escapes.
  ...['${AWS::Region}', '${!Literal}', 'arn:${AWS::Partition}:s3:::${Bucket}/*', '${Bucket.Arn}', '$', '${', '}'],
  // Multi-line text whose lines look like YAML, tags included (what the old text rewrite changed).
  '#!/bin/bash\nset -euo pipefail\necho "${AWS::StackName}" > /etc/x\n',
  'x: !GetAtt A.B\n- !Ref y\nz: !Not \n',
  'ends with a tag !Ref\n!GetAtt Vpc.CidrBlock\n',
  '  !Sub x\n!GetAtt [A, B]',
  'key: value # comment\n- item\n',
  '---\n...\n',
];
