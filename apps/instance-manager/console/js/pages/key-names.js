// Client key names for the usage and request pages, which the reports name by key id only.
import { api } from '../api.js';

/** Names are read again this often, or sooner after an id nobody knew (a key created since). */
const RELOAD_MS = 60_000;
const RELOAD_UNKNOWN_MS = 10_000;

export function keyNames() {
  let keys = new Map();
  let loadedAt = 0;
  let unknownSeen = false;
  return {
    async load() {
      if (Date.now() - loadedAt < (unknownSeen ? RELOAD_UNKNOWN_MS : RELOAD_MS)) return;
      // Revoked keys too: their requests stay in the log.
      const list = await api('GET', '/admin/client-keys?includeRevoked=true');
      keys = new Map(list.map((key) => [key.id, key]));
      loadedAt = Date.now();
      unknownSeen = false;
    },
    label(keyId) {
      if (!keyId) return '(no key)';
      const key = keys.get(keyId);
      if (key) return key.revokedAt ? `${key.name} (revoked)` : key.name;
      unknownSeen = true;
      return `${keyId.slice(0, 8)}…`;
    },
    /** [id, name] of every key, by name. */
    list() {
      return [...keys.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((key) => [key.id, key.revokedAt ? `${key.name} (revoked)` : key.name]);
    },
  };
}
