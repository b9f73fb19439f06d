/** What a redacted secret reads as. */
export const REDACTED = '[redacted]';
/** Upstream text is cut to this many characters: a reason, not a dump of the provider's internals. */
export const MAX_REASON_LENGTH = 300;

/**
 * Shapes that carry a credential in provider error text and logs: API keys (sk-…, sk-ant-…,
 * sk-proj-…), bearer tokens, and the value of key=, token=, secret=, password= and friends, in
 * query strings, JSON ("api_key": "…") and prose.
 */
const CREDENTIAL_SHAPES: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{6,}/g,
  /\b(bearer)\s+[A-Za-z0-9._~+/=-]{6,}/gi,
  /\b((?:api[_-]?)?key|token|access[_-]?token|secret|password|passwd|auth|authorization|signature|sig)(["']?\s*[:=]\s*["']?)(?!(?:bearer|basic)\b|\[redacted\])[^\s"'&,;}]{4,}/gi,
];

/**
 * Upstream or exception text made safe to show: every credential-shaped value and every one of
 * `knownSecrets` (an instance's own key, wherever it appears) replaced by [redacted], and the text
 * cut to MAX_REASON_LENGTH characters. Applied before a message reaches a client, a log or Consul.
 */
export function redactSecrets(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  const safe = redactCredentials(text, knownSecrets);
  return safe.length > MAX_REASON_LENGTH ? `${safe.slice(0, MAX_REASON_LENGTH - 1)}…` : safe;
}

/**
 * The same redaction without the cut: for text kept whole, such as the prompts and answers of a
 * key that asked for its bodies to be logged.
 */
export function redactCredentials(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  let safe = text;
  for (const secret of knownSecrets) if (secret && secret.length >= 4) safe = safe.split(secret).join(REDACTED);
  return safe
    .replace(CREDENTIAL_SHAPES[0]!, REDACTED)
    .replace(CREDENTIAL_SHAPES[1]!, (_whole, word: string) => `${word} ${REDACTED}`)
    .replace(CREDENTIAL_SHAPES[2]!, (_whole, name: string, separator: string) => `${name}${separator}${REDACTED}`);
}
