/**
 * `Fn::Sub` placeholders checked by the compiler: a `Sub` text written as a literal may name only
 * its own variables and the pseudo parameters, and one that names anything else does not compile.
 * The error shows the placeholder and everything it may name:
 *
 *     Sub('${Missing}-topic')
 *     // Argument of type '"${Missing}-topic"' is not assignable to parameter of type
 *     // 'SubPlaceholderNamesNothing<"Missing", "AWS::AccountId" | "AWS::Partition" | ...>'.
 *
 * Logical IDs are never placeholders of a hand-written `Sub`: a resource or parameter goes in as a
 * variable (`Sub('${Vpc}', { Vpc: vpc.ref })`) or through the sub`...` tagged template, so no
 * logical ID is typed as a free string. A text that is not a literal (a `string` built at run
 * time) is checked when the template is built instead.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
 */

/**
 * The pseudo parameters `Fn::Sub` may name. `AWS::NotificationARNs` is a list and `AWS::NoValue`
 * removes a property: neither can be part of a string.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
 */
export type SubPseudoParameter = 'AWS::AccountId' | 'AWS::Partition' | 'AWS::Region' | 'AWS::StackId' | 'AWS::StackName' | 'AWS::URLSuffix';

/** The `${Name}` placeholders of a literal text, minus `${!Literal}` escapes (tail-recursive: long user-data scripts stay in bounds). */
export type SubPlaceholders<S extends string, Found extends string = never> = S extends `${string}\${${infer Name}}${infer Rest}`
  ? SubPlaceholders<Rest, Found | (Name extends `!${string}` ? never : Name)>
  : Found;

/** What a `Sub` text that names nothing turns into: the compiler prints the placeholder and what it may name. */
export interface SubPlaceholderNamesNothing<Placeholder extends string, MayName extends string> {
  readonly placeholder: Placeholder;
  readonly mayName: MayName;
}

type Unknown<S extends string, V> = Exclude<SubPlaceholders<S>, SubPseudoParameter | (keyof V & string)>;

/** `S` itself when every placeholder names a variable of `V` or a pseudo parameter (or `S` is not a literal). */
export type SubText<S extends string, V> = string extends S
  ? S
  : [Unknown<S, V>] extends [never]
    ? S
    : SubPlaceholderNamesNothing<Unknown<S, V>, (SubPseudoParameter & string) | (keyof V & string)>;
