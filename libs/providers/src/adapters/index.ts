import type { ProviderAdapter } from '../core/provider-adapter.js';
import type { ProviderName } from '../model/chat-request.js';
import { claudeAdapter } from './claude/claude.adapter.js';
import { openAIAdapter } from './openai/openai.adapter.js';
import { openAICompatibleAdapter } from './openai-compatible/openai-compatible.adapter.js';
import { perplexityAdapter } from './perplexity/perplexity.adapter.js';
import { zaiAdapter } from './zai/zai.adapter.js';

const ADAPTERS: Record<ProviderName, ProviderAdapter> = {
  openai: openAIAdapter as ProviderAdapter,
  claude: claudeAdapter as ProviderAdapter,
  zai: zaiAdapter as ProviderAdapter,
  perplexity: perplexityAdapter as ProviderAdapter,
  openai_compatible: openAICompatibleAdapter as ProviderAdapter,
};

export function adapterFor(provider: ProviderName): ProviderAdapter {
  return ADAPTERS[provider];
}

export { claudeAdapter, openAIAdapter, openAICompatibleAdapter, perplexityAdapter, zaiAdapter };
export { ZAI_CHINA_BASE_URL, ZAI_GLOBAL_BASE_URL } from './zai/zai.adapter.js';
