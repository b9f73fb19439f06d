import { createOpenAILikeAdapter } from '../openai-like/openai-like.adapter.js';
import { OPENAI_PARAMETERS } from '../openai-like/openai-like.request.js';

/** OpenAI Chat Completions: POST {base}/chat/completions with a Bearer key. */
export const openAIAdapter = createOpenAILikeAdapter({
  provider: 'openai',
  defaultBaseUrl: 'https://api.openai.com/v1',
  chatPath: '/chat/completions',
  answersAsOpenAI: true,
  parameters: OPENAI_PARAMETERS,
  probe: {
    request: (target) => ({
      method: 'GET',
      path: '/models',
      headers: { authorization: `Bearer ${target.apiKey}`, ...target.headers },
    }),
    accepts: (status) => status >= 200 && status < 300,
    description: 'GET /models: lists the models the key may use; free, checks the key and the endpoint',
  },
});
