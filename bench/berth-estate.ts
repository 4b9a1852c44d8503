/**
 * The estate berth builds in the scaling benchmark: the default estate's dev environment with N
 * web services instead of its own (copies of templates/services/web.ts, each on its own path),
 * N from BERTH_BENCH_SERVICES (default 1). The CDK app gets the same N as `-c services=N`.
 *
 *   BERTH_BENCH_SERVICES=10 node dist/bench/berth.cjs build --estate bench/berth-estate.ts --out /tmp/x
 */
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesize, type Estate } from '../src/dsl/index.ts';
import { root } from '../templates/stacks/root.ts';
import type { ServiceDefinition } from '../templates/stacks/service/definition.ts';
import { web } from '../templates/services/web.ts';
import { loadSettings } from '../templates/settings/settings.ts';

/** dev's settings, read as the default estate reads them, so the bench follows every change to them. */
const SETTINGS = join(dirname(fileURLToPath(import.meta.url)), '..', 'templates', 'environments', 'dev.json');

/** `count` web services named web1, web2, ..., routed on /web1/*, /web2/*, ... */
export function webServices(count: number): ServiceDefinition[] {
  if (web.role.kind !== 'web') throw new Error('templates/services/web.ts is no longer a web service: pick another service to copy');
  const role = web.role;
  // Without `sendsTo` and `uses`: the bench estate has no queue worker to send to, nor data stores.
  return Array.from({ length: count }, (_, i) => ({ ...web, sendsTo: undefined, uses: undefined, name: `web${i + 1}`, role: { ...role, route: { paths: [`/web${i + 1}/*`] } } }));
}

export const estate: Estate = {
  environments: ['bench'],
  settingsFile: () => relative(process.cwd(), SETTINGS),
  synthesize() {
    const count = Number(process.env.BERTH_BENCH_SERVICES ?? '1');
    // dev's per-service and per-store overrides name services and stores the bench does not have:
    // the copies use web's own.
    const dev = loadSettings(relative(process.cwd(), SETTINGS));
    // Enough instances for N copies at their peak (berth's density check): 6 per copy.
    const capacity = dev.cluster.capacity.type === 'ec2' ? { ...dev.cluster.capacity, maxSize: Math.max(dev.cluster.capacity.maxSize, 6 * count + 3) } : dev.cluster.capacity;
    const settings = { ...dev, cluster: { ...dev.cluster, capacity }, services: undefined, stores: undefined };
    return [synthesize(root, { settings, services: webServices(count) })];
  },
};
