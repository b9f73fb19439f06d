import type { Usage } from '@switchboard/providers';

/** Characters per token of the estimate: the usual rule of thumb for English text and JSON. */
export const CHARACTERS_PER_TOKEN = 4;

/**
 * The usage of a stream that ended before its provider reported any (the client hung up, or the
 * upstream cut it): the prompt's characters (its messages as JSON) and the text streamed so far,
 * over CHARACTERS_PER_TOKEN, rounded up. An estimate, so a budget cannot be dodged by hanging up
 * before the usage chunk; it ignores reasoning and caching, which the stream did not show.
 */
export function estimateStreamUsage(promptCharacters: number, streamedCharacters: number): Usage {
  const promptTokens = Math.ceil(promptCharacters / CHARACTERS_PER_TOKEN);
  const completionTokens = Math.ceil(streamedCharacters / CHARACTERS_PER_TOKEN);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
