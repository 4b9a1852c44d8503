/**
 * The one error class berth throws for a user mistake: a bad settings file, a misuse of the DSL,
 * a bad CLI flag. The CLI prints `message` alone (no stack trace) and exits 1.
 *
 * Messages follow one shape so users learn to read them:
 *   <where>: <what is wrong>. <what was expected>. <how to fix it>.
 * `where` is a settings file and field path (`templates/environments/prod.json: network.vpcCidr`)
 * or a stack, logical ID and property (`network.yaml: resource `Vpc`, property `CidrBlock``).
 */
export class BerthError extends Error {
  override readonly name = 'BerthError';

  constructor(
    /** Where the problem is: a file and field path, or a stack and logical ID. */
    readonly where: string,
    /** What is wrong, what was expected, and how to fix it. */
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}

/** Quotes a name the way every berth message does. */
export function q(name: string | number): string {
  return `\`${name}\``;
}
