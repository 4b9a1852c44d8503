import { parameter } from '../../../src/dsl/index.ts';

/**
 * The `EnvironmentName` parameter every stack declares: the name prefix of its resources,
 * defaulting to the environment's name so each template deploys alone from the console.
 */
export function environmentNameParameter(environment: string, description = 'Name prefix for the resources (tags and names).') {
  return parameter('String', {
    description,
    default: environment,
    allowedPattern: '^[a-z][a-z0-9-]{0,19}$',
    constraintDescription: 'lower-case letters, digits and hyphens, starting with a letter, up to 20 characters',
    group: 'Environment',
    label: 'Environment name',
  });
}
