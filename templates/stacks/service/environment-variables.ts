/**
 * Plain environment variables are stored in the task definition, readable by anyone who may
 * describe it (and shown in the console), so credentials belong in `container.secrets`. berth
 * refuses a variable whose name says it holds one, or whose value carries a password in a URL.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/taskdef-envfiles.html (secrets: specifying-sensitive-data.html)
 */
import { BerthError, q } from '../../../src/dsl/index.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words of a variable name (split at `_`) that mean it holds a credential, also at the end of a word (`DBPASSWORD`, `APIKEY`). */
const CREDENTIAL_WORD = /(SECRET|PASSWORD|PASSWD|PASSPHRASE|PASS|PWD|TOKEN|KEY|CREDENTIALS?)S?$/;
/** A last word that makes the variable name a reference to a credential, not the credential (`SECRET_ARN`, `KMS_KEY_ID`, `TOKEN_URL`). */
const REFERENCE_WORD = new Set(['ID', 'IDS', 'ARN', 'ARNS', 'NAME', 'NAMES', 'URL', 'URI', 'ENDPOINT', 'PATH', 'FILE', 'LENGTH', 'TTL', 'PREFIX', 'REGION', 'TYPE', 'ALGORITHM', 'SIZE', 'HEADER', 'FIELD', 'EXPIRY', 'LIFETIME', 'VERSION']);
/** A word before KEY that makes it a data key, not a credential (`SORT_KEY`, `PUBLIC_KEY`). */
const DATA_KEY_WORD = new Set(['PUBLIC', 'SORT', 'PARTITION', 'PRIMARY', 'FOREIGN', 'CACHE', 'ROUTING', 'IDEMPOTENCY', 'HASH', 'RANGE', 'SHARD', 'LOOKUP', 'MAP', 'FEATURE', 'GROUP']);
/** Words that merely contain PASS: `PASSPORT`, `COMPASS`, `BYPASS`, `PASSENGER`. */
const NOT_CREDENTIAL = /^(PASSPORTS?|COMPASS|BYPASS|PASSENGERS?|PASSIVE|PASSTHROUGH|SURPASS|KEYBOARD|KEYSPACE|MONKEY|TURKEY|HOCKEY|JOCKEY|DONKEY)$/;
/** `scheme://user:password@host`, or `scheme://:password@host`. */
const URL_PASSWORD = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/;

/** Whether a variable of this name would hold a credential. */
export function isCredentialName(name: string): boolean {
  const words = name.toUpperCase().split('_').filter(Boolean);
  let found = -1;
  words.forEach((w, i) => {
    if (NOT_CREDENTIAL.test(w) || !CREDENTIAL_WORD.test(w)) return;
    if (/KEYS?$/.test(w) && w.length <= 4 && DATA_KEY_WORD.has(words[i - 1] ?? '')) return;
    found = i;
  });
  if (found < 0) return false;
  const after = words.slice(found + 1);
  return !after.some((w) => REFERENCE_WORD.has(w));
}

/** Throws a located error for a bad name, a credential-looking name, or a password in a URL value. */
export function checkEnvironmentVariables(at: (path: string) => string, env: { readonly [name: string]: string }): void {
  for (const [name, value] of Object.entries(env)) {
    const where = at(`container.environment.${name}`);
    if (!ENV_NAME.test(name)) throw new BerthError(where, `${q(name)} is not a valid environment variable name. Use letters, digits and underscores, not starting with a digit.`);
    if (isCredentialName(name)) {
      throw new BerthError(
        where,
        `${q(name)} looks like a credential, and plain environment values are stored in the task definition for anyone with read access to see. Move it to \`container.secrets\` (generated, SSM SecureString or Secrets Manager).`,
      );
    }
    if (URL_PASSWORD.test(value)) {
      throw new BerthError(
        where,
        'carries a password in its URL (`scheme://user:password@...`), which the task definition would show to anyone who can read it. Put the URL (or the password) in `container.secrets` and build the URL in the application.',
      );
    }
  }
}
