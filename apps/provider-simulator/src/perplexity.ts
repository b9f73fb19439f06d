// Perplexity Sonar chat completions wire format: base URL without a path, `POST /chat/completions`,
// bearer auth, OpenAI-like bodies plus `citations` and `search_results`, stream chunks carrying
// both `delta` and the accumulated `message`, and no models endpoint.
import { parseOpenAiStyleRequest, RequestProblem, type OpenAiStyleRequest } from './chat-request.js';
import type { ErrorKind, ErrorKnob } from './knobs.js';
import { chunkTokens, firstWords, planReply, type ReplyFinish, type ReplyPlan } from './reply.js';
import { jsonFrame, type StreamFrame } from './sse.js';
import { bearerToken, type ErrorResponse, type WireFormat } from './wire-format.js';

interface PerplexityErrorTemplate {
  status: number;
  type: string;
  message: string;
}

// Perplexity documents status codes, not bodies; these follow the `{ error: { message, type,
// code } }` shape its API returns (see the fixtures README for which parts are observed).
const ERRORS: Record<ErrorKind, PerplexityErrorTemplate> = {
  auth: { status: 401, type: 'authentication_error', message: 'Invalid API key provided.' },
  permission: {
    status: 403,
    type: 'permission_denied',
    message: 'Your API key does not have access to this resource.',
  },
  bad_request: {
    status: 400,
    type: 'invalid_message',
    message: 'After the (optional) system message(s), user and assistant roles should be alternating.',
  },
  context_length: {
    status: 400,
    type: 'invalid_parameter',
    message: 'The request exceeds the maximum context length of 127072 tokens for this model.',
  },
  rate_limit: { status: 429, type: 'rate_limit_exceeded', message: 'Rate limit exceeded. Please try again later.' },
  quota: {
    status: 429,
    type: 'insufficient_quota',
    message: 'You have run out of API credits. Please add credits to continue.',
  },
  overloaded: {
    status: 503,
    type: 'service_unavailable',
    message: 'The service is temporarily overloaded. Please try again later.',
  },
  server: { status: 500, type: 'internal_server_error', message: 'Internal server error.' },
};

// Prices in USD per million tokens and per request (low search context), for the usage.cost block.
const PRICES: Record<string, { input: number; output: number; request: number }> = {
  sonar: { input: 1, output: 1, request: 0.005 },
  'sonar-pro': { input: 3, output: 15, request: 0.006 },
  'sonar-reasoning': { input: 1, output: 5, request: 0.005 },
};

const FINISH: Record<ReplyFinish, string> = {
  stop: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  tool_calls: 'stop',
};

function perplexityError(status: number, type: string, message: string): ErrorResponse {
  return { status, body: { error: { message, type, code: status } } };
}

export function renderPerplexityError(error: ErrorKnob): ErrorResponse {
  const template = ERRORS[error.kind];
  const status = error.status ?? template.status;
  return perplexityError(status, template.type, error.message ?? template.message);
}

export function createPerplexityFormat(): WireFormat {
  return {
    provider: 'perplexity',
    basePath: '',
    chatPath: '/chat/completions',
    defaultModels: ['sonar', 'sonar-pro', 'sonar-reasoning'],
    requestIdHeader: 'x-request-id',

    authenticate(headers, apiKey) {
      const token = bearerToken(headers);
      if (token === undefined || (apiKey !== undefined && token !== apiKey))
        return perplexityError(401, ERRORS.auth.type, ERRORS.auth.message);
      return undefined;
    },

    checkHeaders: () => undefined,

    renderError: (error) => renderPerplexityError(error),

    notFound: () => perplexityError(404, 'not_found', 'Not Found'),

    invalidJson: () => perplexityError(400, 'invalid_request', 'The request body is not valid JSON.'),

    // Never served: Perplexity has no models endpoint (modelsPath is absent).
    modelsBody: () => ({}),

    chat(body, context) {
      let request: OpenAiStyleRequest;
      try {
        request = parseOpenAiStyleRequest(body);
      } catch (problem) {
        if (problem instanceof RequestProblem)
          return { type: 'error', error: perplexityError(400, 'invalid_parameter', problem.message) };
        throw problem;
      }
      if (!context.models.includes(request.model)) {
        return {
          type: 'error',
          error: perplexityError(
            400,
            'invalid_model',
            `Invalid model '${request.model}'. Permitted models can be found in the documentation at https://docs.perplexity.ai/getting-started/models.`,
          ),
        };
      }
      // Sonar chat completions take no tools, so a weather question gets a normal answer.
      const plan = planReply({
        label: 'Perplexity',
        lastUserText: request.lastUserText,
        promptText: request.promptText,
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        stop: request.stop,
        thinkTag: request.model.includes('reasoning'),
        serial: context.serial,
      });
      const id = perplexityId(context.serial);
      const sources = searchResults(request.lastUserText);
      const extras = {
        usage: perplexityUsage(request.model, plan),
        citations: sources.map((source) => source.url),
        search_results: sources,
      };
      if (!request.stream) {
        return {
          type: 'json',
          body: {
            id,
            model: request.model,
            created: context.created,
            ...extras,
            object: 'chat.completion',
            choices: [
              {
                index: 0,
                finish_reason: FINISH[plan.finish],
                message: { role: 'assistant', content: plan.text },
                delta: { role: 'assistant', content: '' },
              },
            ],
          },
        };
      }
      return { type: 'stream', frames: perplexityStreamFrames(id, request.model, context.created, plan, extras) };
    },
  };
}

/** A UUID-shaped id, as Perplexity uses, derived from the request number. */
function perplexityId(serial: number): string {
  const hex = serial.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

interface SearchResult {
  title: string;
  url: string;
  date: string;
  last_updated: string;
  snippet: string;
  source: 'web';
}

function searchResults(lastUserText: string): SearchResult[] {
  const topic = firstWords(lastUserText, 4) || 'empty query';
  const slug =
    topic
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'query';
  return [1, 2, 3].map((rank) => ({
    title: `Simulated source ${rank} about ${topic}`,
    url: `https://example.com/simulated/${slug}/${rank}`,
    date: '2025-01-0' + rank,
    last_updated: '2025-02-0' + rank,
    snippet: `Simulated search snippet ${rank} for ${topic}.`,
    source: 'web',
  }));
}

function perplexityUsage(model: string, plan: ReplyPlan): Record<string, unknown> {
  const price = PRICES[model] ?? PRICES.sonar!;
  const round = (value: number) => Math.round(value * 1e6) / 1e6;
  const inputCost = round((plan.promptTokens * price.input) / 1e6);
  const outputCost = round((plan.completionTokens * price.output) / 1e6);
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    search_context_size: 'low',
    cost: {
      input_tokens_cost: inputCost,
      output_tokens_cost: outputCost,
      request_cost: price.request,
      total_cost: round(inputCost + outputCost + price.request),
    },
  };
}

function perplexityStreamFrames(
  id: string,
  model: string,
  created: number,
  plan: ReplyPlan,
  extras: Record<string, unknown>,
): StreamFrame[] {
  const frames: StreamFrame[] = [];
  let soFar = '';
  for (const tokens of chunkTokens(plan.textTokens)) {
    const piece = tokens.join('');
    soFar += piece;
    frames.push(
      jsonFrame(
        {
          id,
          model,
          created,
          object: 'chat.completion.chunk',
          choices: [
            {
              index: 0,
              finish_reason: null,
              message: { role: 'assistant', content: soFar },
              delta: { role: 'assistant', content: piece },
            },
          ],
        },
        tokens.length,
      ),
    );
  }
  // Search results, citations and usage arrive with the final chunk, as the streaming guide says.
  frames.push(
    jsonFrame({
      id,
      model,
      created,
      ...extras,
      object: 'chat.completion.chunk',
      choices: [
        {
          index: 0,
          finish_reason: FINISH[plan.finish],
          message: { role: 'assistant', content: soFar },
          delta: { role: 'assistant', content: '' },
        },
      ],
    }),
  );
  frames.push({ data: '[DONE]', tokens: 0 });
  return frames;
}
