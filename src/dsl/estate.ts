/**
 * The contract between the CLI and a user's estate module (`templates/estate.ts` by default,
 * as `cdk.json` names a CDK app). `src/` never imports `templates/`: the CLI loads the module by path.
 */
import type { Template } from './template.ts';

export interface Estate {
  /** Environment names, in build order. */
  readonly environments: readonly string[];
  /**
   * Builds one environment: its top-level templates. Nested templates hang off each template's
   * `children` and are written beside it.
   */
  synthesize(environment: string): readonly Template[];
  /** The settings file of an environment, named in the generated files' header. */
  settingsFile(environment: string): string;
}

/** Every template of a tree, parents before children, each once. */
export function flatten(templates: readonly Template[]): Template[] {
  const out: Template[] = [];
  const visit = (t: Template) => {
    out.push(t);
    t.children.forEach(visit);
  };
  templates.forEach(visit);
  return out;
}
