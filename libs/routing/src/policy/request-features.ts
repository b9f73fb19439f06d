import { type ChatRequest, textOf } from '@switchboard/providers';

/** What the routing policy looks at in a request. */
export interface RequestFeatures {
  /** Estimated prompt tokens: characters of all text (messages, tool calls, tool definitions as JSON) / 4, rounded up. */
  promptTokens: number;
  /** Some message carries an image. */
  hasImages: boolean;
  /** Tools are defined, or the conversation already holds tool calls or results. */
  hasTools: boolean;
  wantsReasoning: boolean;
  /** The response must be JSON (json_object or json_schema). */
  jsonOutput: boolean;
  /**
   * The last user message asks for something only a web search knows: it matches one of the
   * policy's fresh-facts patterns, or names a year from the current one on (a regular expression
   * cannot know which year is current).
   */
  needsFreshFacts: boolean;
}

const YEAR = /\b(20\d{2})\b/g;

/** Reads the request once; no regular expression is compiled here (the caller passes compiled ones). */
export function requestFeatures(
  request: ChatRequest,
  freshFactsPatterns: readonly RegExp[],
  now: Date = new Date(),
): RequestFeatures {
  let characters = 0;
  let hasImages = false;
  let hasToolTurns = false;
  let lastUser = '';
  for (const message of request.messages) {
    const text = textOf(message.content);
    characters += text.length;
    if (typeof message.content !== 'string' && message.content.some((part) => part.type === 'image')) hasImages = true;
    if (message.role === 'tool' || (message.toolCalls?.length ?? 0) > 0) hasToolTurns = true;
    for (const call of message.toolCalls ?? []) characters += call.name.length + call.arguments.length;
    if (message.role === 'user') lastUser = text;
  }
  for (const tool of request.tools ?? []) characters += JSON.stringify(tool).length;
  return {
    promptTokens: Math.ceil(characters / 4),
    hasImages,
    hasTools: (request.tools?.length ?? 0) > 0 || hasToolTurns,
    wantsReasoning: request.reasoning?.enabled === true,
    jsonOutput: request.responseFormat?.type === 'json_object' || request.responseFormat?.type === 'json_schema',
    needsFreshFacts:
      freshFactsPatterns.some((pattern) => pattern.test(lastUser)) || namesYearFrom(lastUser, now.getUTCFullYear()),
  };
}

function namesYearFrom(text: string, currentYear: number): boolean {
  // Most prompts name no year: skip the regular expression's matches and their allocations.
  if (!text.includes('20')) return false;
  for (const match of text.matchAll(YEAR)) if (Number(match[1]) >= currentYear) return true;
  return false;
}
