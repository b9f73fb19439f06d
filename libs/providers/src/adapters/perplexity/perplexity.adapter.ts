import { createOpenAILikeAdapter } from '../openai-like/openai-like.adapter.js';
import { OPENAI_PARAMETERS } from '../openai-like/openai-like.request.js';

/**
 * Perplexity Sonar: OpenAI-like chat completions at {base}/chat/completions, answers carry
 * `citations` and `search_results`. Parameters it does not take are dropped: tools and
 * tool_choice, seed, user, stop, and stream_options (it reports usage in its stream unasked).
 */
export const perplexityAdapter = createOpenAILikeAdapter({
  provider: 'perplexity',
  defaultBaseUrl: 'https://api.perplexity.ai',
  chatPath: '/chat/completions',
  parameters: {
    ...OPENAI_PARAMETERS,
    maxTokens: 'max_tokens',
    topK: 'top_k',
    stop: null,
    seed: null,
    user: null,
    tools: null,
    toolChoice: null,
    parallelToolCalls: null,
    includeUsage: null,
  },
  doneMarkerOptional: true,
  statesCost: true,
  probe: {
    // Perplexity has no models list or other free endpoint: a request that fails validation (no
    // messages) checks the key and the endpoint without running (or billing) a search.
    request: (target) => ({
      method: 'POST',
      path: '/chat/completions',
      headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json', ...target.headers },
      body: { model: 'sonar', messages: [] },
    }),
    accepts: (status) => status === 400,
    description:
      'POST /chat/completions with no messages: rejected by validation (400) before any search, so nothing is billed',
  },
});
