/** Every service of the estate, in the order their stacks are nested. */
import type { ServiceDefinition } from '../stacks/service/definition.ts';
import { report } from './report.ts';
import { web } from './web.ts';
import { worker } from './worker.ts';

export const services: readonly ServiceDefinition[] = [web, worker, report];
