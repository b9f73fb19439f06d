export { claudeAdapter } from './claude/claude.adapter.js';
export { openAIAdapter } from './openai/openai.adapter.js';
export { openAICompatibleAdapter } from './openai-compatible/openai-compatible.adapter.js';
export { perplexityAdapter } from './perplexity/perplexity.adapter.js';
export { ZAI_CHINA_BASE_URL, ZAI_GLOBAL_BASE_URL, zaiAdapter } from './zai/zai.adapter.js';
