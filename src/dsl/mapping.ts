/**
 * Mappings and `Fn::FindInMap`, keyed by the mapping's own keys.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/mappings-section-structure.html
 */
import { Intrinsic, type Owner } from './intrinsic.ts';
import type { Value } from './value.ts';

export type MappingData = { readonly [top: string]: { readonly [second: string]: string | number | readonly string[] } };

/** The kind of a mapping value: a number, a list of strings, or a string. */
type KindOfMapValue<V> = V extends number ? 'Number' : V extends readonly string[] ? 'List<String>' : 'String';

/** A declared mapping: what `Template.mapping` returns. */
export class Mapping<M extends MappingData = MappingData> {
  declare private readonly nominal: never;

  /** Built by `Template.mapping`; the entry module exports this class as a type only. */
  constructor(
    readonly logicalId: string,
    readonly data: M,
    readonly owner: Owner,
  ) {}

  /**
   * `Fn::FindInMap`, of the kind the mapping's values have. Literal keys are checked by the
   * compiler; intrinsic keys (a parameter's `ref`) by CloudFormation at deploy time.
   *
   *     sizes.find('prod', 'Cpu')                    // Intrinsic<'Number'>
   *     sizes.find(p.EnvironmentName.ref, 'Cpu')
   */
  find<K1 extends keyof M & string, K2 extends keyof M[K1] & string>(
    topKey: K1 | Intrinsic<'String'>,
    secondKey: K2 | Intrinsic<'String'>,
  ): Intrinsic<KindOfMapValue<M[K1][K2]>> {
    return new Intrinsic('Fn::FindInMap', [this.logicalId, topKey, secondKey], this.owner);
  }
}

/** `Fn::FindInMap` as a free function, for symmetry with the other intrinsics.     `FindInMap(sizes, 'prod', 'Cpu')` */
export function FindInMap<M extends MappingData, K1 extends keyof M & string, K2 extends keyof M[K1] & string>(
  mapping: Mapping<M>,
  topKey: K1 | Intrinsic<'String'>,
  secondKey: K2 | Value<string>,
): Intrinsic<KindOfMapValue<M[K1][K2]>> {
  return mapping.find(topKey, secondKey as K2);
}
