/**
 * The listener-rule priorities of the last build, read back from the committed output/ as a lock
 * file would be: each web service's `service-<name>.yaml` holds its rule's `Priority`, which is
 * what is deployed (output/ is what deploys). `assignPriorities` keeps them, so a service's
 * priority never moves when others are added or removed.
 *
 * Where: `output/<env>/` beside the estate's `templates/` folder, the folder above the one that
 * holds the environment file (`templates/environments/dev.json` reads `output/dev/`), whatever
 * `--out` the current build writes to: the lock is the committed output. When that folder has no
 * service templates (a new environment, a fixture estate, a deleted output/), there is no lock and
 * every service takes its priority from its name (`assignPriorities`). Deleting output/ therefore
 * forgets the lock: the next build gives a service that once lost a collision a priority that can
 * differ from the deployed one (docs/many-accounts.md#listener-rule-priorities).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder the environment's committed templates are in, from its settings file. */
export function lockFolder(settingsFile: string, environment: string): string {
  return join(dirname(dirname(settingsFile)), '..', 'output', environment);
}

/**
 * `Priority` of the listener rule in each `service-<name>.yaml` of `folder`, by service name.
 * The emitter writes a resource's `Type` first and its properties after, one per line, so the
 * rule's priority is the first `Priority:` after its type line (no YAML parse: this runs in every
 * build, over every service template).
 */
export function readPriorityLock(folder: string): Map<string, number> {
  const lock = new Map<string, number>();
  // Only berth's own templates are read: a folder that is missing or not a folder, or an entry
  // that is not a file, is no lock (the output writer names what is wrong with them).
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return lock;
  }
  for (const entry of entries) {
    const file = entry.name;
    const name = /^service-(.+)\.yaml$/.exec(file)?.[1];
    if (!entry.isFile() || !name || name === 'catalog' || name.startsWith('catalog-')) continue;
    const text = readFileSync(join(folder, file), 'utf8');
    const at = text.indexOf('Type: AWS::ElasticLoadBalancingV2::ListenerRule\n');
    if (at < 0) continue;
    const m = /^\s+Priority: (\d+)$/m.exec(text.slice(at, at + 2000));
    if (m) lock.set(name, Number(m[1]));
  }
  return lock;
}
