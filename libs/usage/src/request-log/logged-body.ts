import { redactCredentials } from '@switchboard/kernel';

/**
 * Characters kept past the cut until the text is redacted: a credential that starts before the cut
 * is still seen whole, so its first characters are not logged as an unrecognisable stub.
 */
export const REDACTION_MARGIN = 512;

/** A prompt or answer as the request log keeps it: credentials redacted first, then cut to `maxChars`. */
export function loggedBody(text: string, maxChars: number): string {
  return redactCredentials(text.slice(0, maxChars + REDACTION_MARGIN)).slice(0, maxChars);
}

/**
 * A prompt's messages as JSON for the request log, at most `maxChars` characters. Each string is
 * redacted before it is quoted (inside JSON the quotes of `{"api_key": "…"}` in a message become
 * \", which a pattern run over the whole would miss), the whole is redacted again (credentials
 * under object keys), then cut. Serialising stops a margin past the cut, so a huge prompt is never
 * turned into one huge string only to be cut.
 */
export function loggedPrompt(messages: unknown, maxChars: number): string | null {
  const limit = maxChars + REDACTION_MARGIN;
  const parts: string[] = [];
  let length = 0;
  const add = (text: string) => {
    parts.push(text);
    length += text.length;
  };
  const write = (value: unknown): void => {
    if (length >= limit) return;
    if (typeof value === 'string') {
      add(JSON.stringify(redactCredentials(value.slice(0, limit - length + REDACTION_MARGIN))));
    } else if (Array.isArray(value)) {
      add('[');
      value.forEach((item, index) => {
        if (index > 0) add(',');
        write(item === undefined || typeof item === 'function' ? null : item);
      });
      add(']');
    } else if (value !== null && typeof value === 'object') {
      add('{');
      let first = true;
      for (const [key, item] of Object.entries(value)) {
        if (item === undefined || typeof item === 'function') continue;
        add(`${first ? '' : ','}${JSON.stringify(key)}:`);
        first = false;
        write(item);
      }
      add('}');
    } else {
      add(JSON.stringify(value) ?? 'null');
    }
  };
  if (messages === undefined) return null;
  write(messages);
  return loggedBody(parts.join(''), maxChars);
}
