/**
 * The estate: which environments exist and which stacks each one gets. The CLI loads this module
 * (`berth build --estate templates/estate.ts`, the default).
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesize, type Estate } from '../src/dsl/index.ts';
import { synthesizeFoundation } from './stacks/foundation.ts';
import { synthesizeOverview } from './stacks/overview.ts';
import { root } from './stacks/root.ts';
import { launchRoleStack } from './stacks/launch-kit.ts';
import { serviceCatalog } from './stacks/service-catalog.ts';
import { checkRegistered } from './stacks/service/registered.ts';
import { services } from './services/index.ts';
import { stores } from './storage/index.ts';
import { loadSettings } from './settings/settings.ts';

const ENVIRONMENTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'environments');
const SERVICES_INDEX = join(dirname(fileURLToPath(import.meta.url)), 'services', 'index.ts');

function settingsFile(environment: string): string {
  return relative(process.cwd(), join(ENVIRONMENTS_DIR, `${environment}.json`));
}

export const estate: Estate = {
  environments: readdirSync(ENVIRONMENTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort(),
  settingsFile,
  synthesize(environment) {
    checkRegistered(SERVICES_INDEX);
    const settings = loadSettings(settingsFile(environment));
    const estate = synthesize(root, { settings, services, stores });
    // The foundation (alarm topic, network, load balancer, cluster, data stores) is the portfolio's
    // first product; the portfolio publishes it and the services. Both are top-level templates
    // beside the root. The root comes after the foundation: the nested templates both name are the
    // root's children.
    const foundation = synthesizeFoundation(settings, services, stores);
    // launch-role.yaml: the portfolio's launch role alone, for each member account that launches
    // the shared portfolio (docs/many-accounts.md).
    // Last, overview.yaml: the last layer of an estate deployed in layers, the dashboard and the
    // deploy guard the foundation leaves out (scripts/deploy-layers.ts). Its dashboard.yaml is the root's.
    return [
      foundation,
      estate,
      synthesize(serviceCatalog, { settings, services, estate, foundation }),
      synthesize(launchRoleStack, { settings, estate, foundation }),
      synthesizeOverview(settings, services, estate),
    ];
  },
};
