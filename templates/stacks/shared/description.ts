/**
 * Template descriptions that name an estate's services stay within CloudFormation's 1,024 bytes
 * for a template description, however many services there are.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */

/**
 * CloudFormation's limit on a template's Description is 1,024 bytes; cfn-lint informs from 90 % of
 * it (I1003), and `make lint` counts informational findings, so descriptions stay under 900.
 */
export const DESCRIPTION_BYTES = 900;

/**
 * `text(list)` with as many of `names` as fit in {@link DESCRIPTION_BYTES}: `a, b, c` or, when
 * they do not all fit, `a, b and 248 more`.
 */
export function describeNames(names: readonly string[], text: (list: string) => string): string {
  for (let shown = names.length; shown >= 0; shown--) {
    const rest = names.length - shown;
    const list = names.slice(0, shown).join(', ') + (rest === 0 ? '' : `${shown ? ' and ' : ''}${rest} more`);
    const out = text(list);
    if (Buffer.byteLength(out) <= DESCRIPTION_BYTES) return out;
  }
  return text(`${names.length}`);
}
