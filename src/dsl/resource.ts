/**
 * Resource handles: what `Template.resource` returns. `ref` and `getAtt` are the only ways to
 * refer to a resource, and `getAtt` accepts only the attribute names its type has.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html
 */
import type { Site } from './_site.ts';
import { type Condition, Intrinsic, type Owner } from './intrinsic.ts';
import type { ResourceType, ResourceTypes } from './resource-types.generated.d.ts';
import type { Json } from './value.ts';

export type { ResourceType, ResourceTypes } from './resource-types.generated.d.ts';

export type PropsOf<T extends ResourceType> = ResourceTypes[T]['props'];
export type AttributeOf<T extends ResourceType> = keyof ResourceTypes[T]['attributes'] & string;
export type AttributeKind<T extends ResourceType, A extends AttributeOf<T>> = ResourceTypes[T]['attributes'][A] & string;
export type RefKind<T extends ResourceType> = ResourceTypes[T]['ref'];

/** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html */
export type DeletionPolicy = 'Delete' | 'Retain' | 'RetainExceptOnCreate' | 'Snapshot';
/** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html */
export type UpdateReplacePolicy = 'Delete' | 'Retain' | 'Snapshot';

/** The resource attributes CloudFormation defines beside `Properties`. */
export interface ResourceOptions {
  /** Resources that must be created first. Handles only: never a logical ID string. @default - none */
  readonly dependsOn?: readonly AnyResource[];
  /** Create the resource only when this condition is true. @default - always */
  readonly condition?: Condition;
  /** @default - CloudFormation's default for the type (`Delete` for most) */
  readonly deletionPolicy?: DeletionPolicy;
  /** @default - CloudFormation's default for the type (`Delete` for most) */
  readonly updateReplacePolicy?: UpdateReplacePolicy;
  /** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-creationpolicy.html @default - none */
  readonly creationPolicy?: { readonly [key: string]: Json };
  /** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html @default - none */
  readonly updatePolicy?: { readonly [key: string]: Json };
  /** Resource metadata (for example checkov skips). @default - none */
  readonly metadata?: { readonly [key: string]: Json };
}

/**
 * For resources that hold data (logs, keys, queues, buckets): kept when the stack is deleted and
 * when an update replaces them, so nothing is lost by accident. Spread it to add other options.
 *
 *     t.resource('Logs', 'AWS::Logs::LogGroup', { RetentionInDays: 365 }, RETAIN)
 *     t.resource('Key', 'AWS::KMS::Key', { ... }, { ...RETAIN, dependsOn: [role] })
 */
export const RETAIN = { deletionPolicy: 'Retain', updateReplacePolicy: 'Retain' } as const satisfies ResourceOptions;

/** The Metadata key that marks an untyped resource (`Template.untypedResource`) for review. */
export const UNTYPED_MARKER = 'berth:untyped';
/** The Metadata key that lists property overrides (`Resource.override`) for review. */
export const OVERRIDES_MARKER = 'berth:overrides';

/** A property override: a value set at a path of `Properties` past the typed properties. */
export interface Override {
  readonly path: readonly string[];
  readonly value: Json;
  readonly reason: string;
}

declare const HANDLE: unique symbol;

/** Any resource handle, whatever its type (for `dependsOn`): made only by a template. */
export interface AnyResource {
  readonly logicalId: string;
  readonly type: string;
  readonly owner: Owner;
  readonly [HANDLE]: true;
}

/** A resource of a generated type. */
export class Resource<T extends ResourceType = ResourceType> implements AnyResource {
  /** `Ref` of the resource: what its type's `Ref` returns, of that kind (a VPC's is an `AWS::EC2::VPC::Id`). */
  readonly ref: Intrinsic<RefKind<T>>;
  /** @internal Property overrides, applied when the template is emitted. */
  readonly overrides: Override[] = [];
  declare readonly [HANDLE]: true;

  /** Built by `Template.resource`; the entry module exports this class as a type only. */
  constructor(
    readonly logicalId: string,
    readonly type: T,
    readonly props: PropsOf<T>,
    readonly options: ResourceOptions,
    readonly owner: Owner,
    /** Where the stack author declared it, for build-time errors. */
    readonly site?: Site,
  ) {
    this.ref = new Intrinsic('Ref', logicalId, owner);
  }

  /**
   * `Fn::GetAtt` of an attribute this resource type has, of that attribute's kind.
   *
   *     role.getAtt('Arn')        vpc.getAtt('CidrBlock')        vpc.getAtt('Arn')   // compile error: AWS::EC2::VPC has no Arn
   */
  getAtt<A extends AttributeOf<T>>(attribute: A): Intrinsic<AttributeKind<T, A>> {
    return new Intrinsic('Fn::GetAtt', [this.logicalId, attribute], this.owner);
  }

  /**
   * Escape hatch: sets a property the generated types do not cover yet (a property AWS added
   * after the spec berth generated from), at a dotted path under `Properties`. The emitted
   * resource lists every override and its reason in its Metadata (`berth:overrides`), so review
   * sees it. Prefer `make types` with a newer spec when one has the property.
   *
   *     service.override('AvailabilityZoneRebalancing', 'ENABLED', 'not in @aws-cdk/aws-service-spec 0.1.216 yet')
   */
  override(path: string, value: Json, reason: string): this {
    this.overrides.push({ path: path.split('.'), value, reason });
    return this;
  }
}

/**
 * A resource of a type berth has not generated (`Template.untypedResource`): its properties are
 * not checked, `getAtt` takes any name, and its `Ref` is a plain `String`.
 */
export class UntypedResource implements AnyResource {
  readonly ref: Intrinsic<'String'>;
  declare readonly [HANDLE]: true;

  /** Built by `Template.untypedResource`; the entry module exports this class as a type only. */
  constructor(
    readonly logicalId: string,
    readonly type: string,
    readonly props: { readonly [key: string]: Json },
    readonly options: ResourceOptions,
    readonly owner: Owner,
    readonly reason: string,
    readonly site?: Site,
  ) {
    this.ref = new Intrinsic('Ref', logicalId, owner);
  }

  /** `Fn::GetAtt` of any attribute name: nothing checks it, as nothing describes the type. */
  getAtt(attribute: string): Intrinsic<'String'> {
    return new Intrinsic('Fn::GetAtt', [this.logicalId, attribute], this.owner);
  }
}
