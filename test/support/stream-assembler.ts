import type {
  ChatResponse,
  FinishReason,
  ProviderName,
  SearchResult,
  StreamEvent,
  ToolCall,
  Usage,
} from '@switchboard/providers';

/**
 * Folds a normalised stream back into one response: what a non-stream answer to the same request
 * holds, so tests can compare a stream with its non-stream twin.
 */
export class StreamAssembler {
  private id = '';
  private model = '';
  private created = 0;
  private text = '';
  private reasoning = '';
  private readonly toolCalls: ToolCall[] = [];
  private finishReason: FinishReason | undefined;
  private usage: Usage | undefined;
  private citations: string[] | undefined;
  private searchResults: SearchResult[] | undefined;
  private ended = false;

  constructor(private readonly provider: ProviderName) {}

  add(event: StreamEvent): void {
    switch (event.type) {
      case 'start':
        this.id = event.id;
        this.model = event.model;
        this.created = event.created;
        break;
      case 'text':
        this.text += event.text;
        break;
      case 'reasoning':
        this.reasoning += event.text;
        break;
      case 'tool_call_start':
        this.toolCalls[event.toolIndex] = { id: event.id, name: event.name, arguments: '' };
        break;
      case 'tool_call_delta': {
        const call = this.toolCalls[event.toolIndex];
        if (call) call.arguments += event.argumentsDelta;
        break;
      }
      case 'citations':
        this.citations = event.citations;
        this.searchResults = event.searchResults;
        break;
      case 'finish':
        this.finishReason = event.finishReason;
        break;
      case 'usage':
        this.usage = event.usage;
        break;
      case 'end':
        this.ended = true;
        break;
    }
  }

  get complete(): boolean {
    return this.ended;
  }

  result(): ChatResponse {
    const toolCalls = this.toolCalls.filter(Boolean);
    return {
      id: this.id,
      model: this.model,
      provider: this.provider,
      created: this.created,
      message: {
        content: this.text || (toolCalls.length ? null : ''),
        reasoningContent: this.reasoning || undefined,
        toolCalls: toolCalls.length ? toolCalls : undefined,
      },
      finishReason: this.finishReason ?? 'stop',
      usage: this.usage,
      ...(this.citations ? { citations: this.citations } : {}),
      ...(this.searchResults ? { searchResults: this.searchResults } : {}),
    };
  }
}
