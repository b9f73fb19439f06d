import { createOpenAILikeAdapter } from '../openai-like/openai-like.adapter.js';
import { OPENAI_PARAMETERS } from '../openai-like/openai-like.request.js';

/**
 * Any server speaking OpenAI's Chat Completions at a base URL of its own (vLLM, Ollama, LM Studio,
 * Azure-style gateways). It gets max_tokens, the name every such server understands, rather than
 * OpenAI's newer max_completion_tokens.
 */
export const openAICompatibleAdapter = createOpenAILikeAdapter({
  provider: 'openai_compatible',
  defaultBaseUrl: 'http://127.0.0.1:8000/v1',
  chatPath: '/chat/completions',
  answersAsOpenAI: true,
  parameters: { ...OPENAI_PARAMETERS, maxTokens: 'max_tokens' },
  probe: {
    request: (target) => ({
      method: 'GET',
      path: '/models',
      headers: { authorization: `Bearer ${target.apiKey}`, ...target.headers },
    }),
    accepts: (status) => status >= 200 && status < 300,
    description: 'GET /models: part of the OpenAI-compatible surface of vLLM, Ollama and the like; free',
  },
});
