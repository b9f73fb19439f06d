import { type ChatRequest, textOf } from '@switchboard/providers';

/** What the routing policy looks at in a request. */
export interface RequestFeatures {
  /** Estimated prompt tokens: characters of all text (messages and tool definitions) / 4, rounded up. */
  promptTokens: number;
  hasImages: boolean;
  /** Tools are defined, or the conversation already holds tool calls or results. */
  hasTools: boolean;
  wantsReasoning: boolean;
  jsonOutput: boolean;
  /** The last user message asks for something only a web search knows (news, today, latest prices...). */
  needsFreshFacts: boolean;
}

export function requestFeatures(request: ChatRequest, freshFactsPatterns: readonly RegExp[], now: Date = new Date()): RequestFeatures {
  let characters = 0;
  let hasImages = false;
  let hasToolTurns = false;
  let lastUser = '';
  for (const message of request.messages) {
    const text = textOf(message.content);
    characters += text.length;
    if (typeof message.content !== 'string' && message.content.some((part) => part.type === 'image')) hasImages = true;
    if (message.role === 'tool' || (message.toolCalls?.length ?? 0) > 0) hasToolTurns = true;
    if (message.role === 'user') lastUser = text;
  }
  for (const tool of request.tools ?? []) characters += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters).length;
  const year = now.getUTCFullYear();
  const mentionsRecentYear = /\b(20\d{2})\b/.exec(lastUser);
  return {
    promptTokens: Math.ceil(characters / 4),
    hasImages,
    hasTools: (request.tools?.length ?? 0) > 0 || hasToolTurns,
    wantsReasoning: request.reasoning?.enabled === true,
    jsonOutput: request.responseFormat?.type === 'json_object' || request.responseFormat?.type === 'json_schema',
    needsFreshFacts: freshFactsPatterns.some((pattern) => pattern.test(lastUser)) || (mentionsRecentYear !== null && Number(mentionsRecentYear[1]) >= year),
  };
}
