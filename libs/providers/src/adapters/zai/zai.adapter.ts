import type { ProviderErrorKind } from '../../core/provider-error.js';
import { createOpenAILikeAdapter, type WireError } from '../openai-like/openai-like.adapter.js';
import { OPENAI_PARAMETERS } from '../openai-like/openai-like.request.js';

export const ZAI_GLOBAL_BASE_URL = 'https://api.z.ai/api/paas/v4';
export const ZAI_CHINA_BASE_URL = 'https://open.bigmodel.cn/api/paas/v4';

/**
 * Z.AI business error codes (the `code` inside the error body), grouped by what a gateway does
 * about them. Balance, plan and usage-cap codes are not retryable on the same account.
 */
const ZAI_CODES: Record<string, ProviderErrorKind> = {
  '1000': 'auth',
  '1001': 'auth',
  '1002': 'auth',
  '1003': 'auth',
  '1004': 'auth',
  '1110': 'permission',
  '1111': 'permission',
  '1112': 'permission',
  '1113': 'quota_exhausted',
  '1120': 'server_error',
  '1121': 'permission',
  '1210': 'bad_request',
  '1211': 'not_found',
  '1212': 'bad_request',
  '1213': 'bad_request',
  '1214': 'bad_request',
  '1215': 'bad_request',
  '1220': 'permission',
  '1221': 'not_found',
  '1222': 'not_found',
  '1230': 'server_error',
  '1231': 'bad_request',
  '1234': 'server_error',
  '1261': 'context_length',
  '1300': 'bad_request',
  '1301': 'bad_request',
  '1302': 'rate_limited',
  '1303': 'rate_limited',
  '1304': 'quota_exhausted',
  '1308': 'quota_exhausted',
  '1309': 'quota_exhausted',
  '1310': 'quota_exhausted',
  '1311': 'permission',
  '1312': 'overloaded',
  '1313': 'rate_limited',
};

/**
 * Zhipu Z.AI / GLM: OpenAI-like chat completions at /api/paas/v4 (global or China base URL),
 * `thinking` for reasoning (answered as reasoning_content), business error codes in the body.
 */
export const zaiAdapter = createOpenAILikeAdapter({
  provider: 'zai',
  defaultBaseUrl: ZAI_GLOBAL_BASE_URL,
  chatPath: '/chat/completions',
  parameters: {
    ...OPENAI_PARAMETERS,
    maxTokens: 'max_tokens',
    // Z.AI documents none of these; it reports usage at the end of every stream unasked.
    presencePenalty: null,
    frequencyPenalty: null,
    seed: null,
    parallelToolCalls: null,
    includeUsage: null,
    user: 'user_id',
    reasoning: 'thinking',
  },
  reshape: {
    reasoning: (request) =>
      request.reasoning ? { type: request.reasoning.enabled ? 'enabled' : 'disabled' } : undefined,
    // Only "auto" is documented; a forced choice is sent as auto rather than rejected.
    toolChoice: (request) => (request.toolChoice === undefined || !request.tools?.length ? undefined : 'auto'),
  },
  // 1305 is documented both as a traffic limit (sent with 429) and as "temporarily overloaded" (503).
  classifyError: (status: number, error: WireError) =>
    error.code === '1305'
      ? status >= 500
        ? 'overloaded'
        : 'rate_limited'
      : error.code
        ? ZAI_CODES[error.code]
        : undefined,
  finishReasons: { sensitive: 'content_filter', network_error: 'error', model_context_window_exceeded: 'length' },
  probe: {
    // No documented models list: a request that fails validation (empty messages) checks the key
    // and the endpoint without running (or billing) a completion. 400 means healthy.
    request: (target) => ({
      method: 'POST',
      path: '/chat/completions',
      headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json', ...target.headers },
      body: { model: 'glm-4.5-flash', messages: [] },
    }),
    accepts: (status) => status === 400,
    description:
      'POST /chat/completions with no messages: rejected by validation (400) before any inference, so nothing is billed',
  },
});
