/**
 * Mappings and `Fn::FindInMap`, keyed by the mapping's own keys.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/mappings-section-structure.html
 */
import { Intrinsic, type Owner, type Value } from './intrinsic.ts';

export type MappingData = { readonly [top: string]: { readonly [second: string]: string | number | readonly string[] } };

export class Mapping<M extends MappingData = MappingData> {
  constructor(
    readonly logicalId: string,
    readonly data: M,
    readonly owner: Owner,
  ) {}

  /** `Fn::FindInMap`. Literal keys are checked by the compiler; intrinsic keys at deploy time. */
  find<K1 extends keyof M & string>(topKey: K1 | Intrinsic<string>, secondKey: (keyof M[K1] & string) | Intrinsic<string>): Intrinsic<'String'> {
    return new Intrinsic('Fn::FindInMap', [this.logicalId, topKey, secondKey], this.owner);
  }
}

/** `Fn::FindInMap` as a free function, for symmetry with the other intrinsics. */
export function FindInMap<M extends MappingData, K1 extends keyof M & string>(
  mapping: Mapping<M>,
  topKey: K1 | Intrinsic<string>,
  secondKey: (keyof M[K1] & string) | Value<string>,
): Intrinsic<'String'> {
  return mapping.find(topKey, secondKey as keyof M[K1] & string);
}
