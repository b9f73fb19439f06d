import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  adapterFor,
  AnthropicStreamWriter,
  type ChatRequest,
  fromAnthropicRequest,
  fromOpenAIRequest,
  OpenAIStreamWriter,
  ProviderClient,
  ProviderError,
  type ProviderName,
  type ProviderTarget,
  toAnthropicMessage,
  toOpenAIResponse,
  anthropicErrorBody,
  openAIErrorBody,
} from '@switchboard/providers';
import { httpStatusOf } from '@switchboard/kernel';

/**
 * The smallest server that puts the client formats in front of the adapters: an OpenAI or
 * Anthropic client on one side, any provider upstream on the other (picked per request by the
 * x-upstream header). Tests point the official SDKs at it to prove the rendered formats parse.
 */
export class FormatBridge {
  private constructor(
    private readonly server: Server,
    private readonly client: ProviderClient,
  ) {}

  static async start(targets: Map<ProviderName, ProviderTarget & { model: string }>): Promise<FormatBridge> {
    const client = new ProviderClient();
    const server = createServer((request, response) => {
      void (async () => {
        const format = request.url?.startsWith('/v1/messages') ? 'anthropic' : 'openai';
        const upstream = String(request.headers['x-upstream'] ?? 'openai') as ProviderName;
        const target = targets.get(upstream)!;
        const body = JSON.parse(await readBody(request)) as unknown;
        const chat: ChatRequest = {
          ...(format === 'openai' ? fromOpenAIRequest(body) : fromAnthropicRequest(body)),
          model: target.model,
        };
        const adapter = adapterFor(upstream);
        if (!chat.stream) {
          try {
            const answer = await client.chat(adapter, target, chat);
            response
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify(format === 'openai' ? toOpenAIResponse(answer) : toAnthropicMessage(answer)));
          } catch (error) {
            const failure =
              error instanceof ProviderError
                ? error
                : new ProviderError({ provider: upstream, kind: 'server_error', status: 0, message: String(error) });
            const body = format === 'openai' ? openAIErrorBody(failure) : anthropicErrorBody(failure);
            response
              .writeHead(httpStatusOf(failure.domainKind), { 'content-type': 'application/json' })
              .end(JSON.stringify(body));
          }
          return;
        }
        const writer =
          format === 'openai' ? new OpenAIStreamWriter(chat.includeUsage === true) : new AnthropicStreamWriter();
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        try {
          for await (const event of client.stream(adapter, target, chat)) response.write(writer.write(event));
        } catch (error) {
          const failure =
            error instanceof ProviderError
              ? error
              : new ProviderError({ provider: upstream, kind: 'server_error', status: 0, message: String(error) });
          response.write(writer.error(failure));
        }
        response.end();
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FormatBridge(server, client);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.client.close();
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}
