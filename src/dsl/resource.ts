/**
 * Resource handles: what `Template.resource` returns. `ref` and `getAtt` are the only ways to
 * refer to a resource, and `getAtt` accepts only the attribute names its type has.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html
 */
import { type Condition, Intrinsic, type Json, type Owner } from './intrinsic.ts';
import type { ResourceType, ResourceTypes } from './resource-types.generated.ts';

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
 */
export const RETAIN = { deletionPolicy: 'Retain', updateReplacePolicy: 'Retain' } as const satisfies ResourceOptions;

export class Resource<T extends ResourceType = ResourceType> {
  readonly ref: Intrinsic<RefKind<T>>;

  constructor(
    readonly logicalId: string,
    readonly type: T,
    readonly props: PropsOf<T>,
    readonly options: ResourceOptions,
    readonly owner: Owner,
  ) {
    this.ref = new Intrinsic('Ref', logicalId, owner);
  }

  /** `Fn::GetAtt` of an attribute this resource type has. */
  getAtt<A extends AttributeOf<T>>(attribute: A): Intrinsic<AttributeKind<T, A>> {
    return new Intrinsic('Fn::GetAtt', [this.logicalId, attribute], this.owner);
  }
}

/** Any resource handle, whatever its type (for `dependsOn`). */
export type AnyResource = { readonly logicalId: string; readonly owner: Owner; readonly type: string };
