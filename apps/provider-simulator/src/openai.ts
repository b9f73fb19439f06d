// OpenAI Chat Completions wire format (also served as `openai_compatible`): base URL `/v1`,
// `POST /chat/completions`, `GET /models`, bearer auth, `data:` chunks ending in `data: [DONE]`,
// a usage-only chunk when `stream_options.include_usage` is true, and `{ error: {...} }` bodies.
import type { ErrorKind, ErrorKnob } from './knobs.js';
import { parseOpenAiStyleRequest, RequestProblem, type OpenAiStyleRequest } from './chat-request.js';
import { chunkTokens, forcedToolCall, planReply, type ReplyFinish, type ReplyPlan } from './reply.js';
import { jsonFrame, type StreamFrame } from './sse.js';
import { bearerToken, maskKey, type ErrorResponse, type WireFormat } from './wire-format.js';

interface OpenAiErrorTemplate {
  status: number;
  type: string;
  code: string | null;
  param: string | null;
  message: string;
  headers?: Record<string, string>;
}

// Bodies as listed on platform.openai.com/docs/guides/error-codes (see test/fixtures/providers).
const ERRORS: Record<ErrorKind, OpenAiErrorTemplate> = {
  auth: {
    status: 401,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    param: null,
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  permission: {
    status: 403,
    type: 'request_forbidden',
    code: 'unsupported_country_region_territory',
    param: null,
    message: 'Country, region, or territory not supported',
  },
  bad_request: {
    status: 400,
    type: 'invalid_request_error',
    code: 'empty_array',
    param: 'messages',
    message:
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
  },
  context_length: {
    status: 400,
    type: 'invalid_request_error',
    code: 'context_length_exceeded',
    param: 'messages',
    message:
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
  },
  rate_limit: {
    status: 429,
    type: 'requests',
    code: 'rate_limit_exceeded',
    param: null,
    message:
      'Rate limit reached for requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again later. Visit https://platform.openai.com/account/rate-limits to learn more.',
    headers: { 'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '0' },
  },
  quota: {
    status: 429,
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    param: null,
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
  },
  overloaded: {
    status: 503,
    type: 'server_error',
    code: null,
    param: null,
    message: 'The engine is currently overloaded, please try again later.',
  },
  server: {
    status: 500,
    type: 'server_error',
    code: null,
    param: null,
    message: 'The server had an error while processing your request. Sorry about that!',
  },
};

export function openAiErrorBody(message: string, type: string, param: string | null, code: string | null): unknown {
  return { error: { message, type, param, code } };
}

const FINISH: Record<ReplyFinish, string> = {
  stop: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
};

export function createOpenAiFormat(provider: 'openai' | 'openai_compatible'): WireFormat {
  const label = provider === 'openai' ? 'OpenAI' : 'OpenAI-compatible';
  const ownedBy = provider === 'openai' ? 'openai' : 'organization-owner';
  return {
    provider,
    basePath: '/v1',
    chatPath: '/v1/chat/completions',
    modelsPath: '/v1/models',
    defaultModels: provider === 'openai' ? ['gpt-4o', 'gpt-4o-mini'] : ['local-model'],
    requestIdHeader: 'x-request-id',

    authenticate(headers, apiKey) {
      const token = bearerToken(headers);
      if (token === undefined) {
        return {
          status: 401,
          body: openAiErrorBody(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
            'invalid_request_error',
            null,
            null,
          ),
        };
      }
      if (apiKey !== undefined && token !== apiKey) {
        return {
          status: 401,
          body: openAiErrorBody(
            `Incorrect API key provided: ${maskKey(token)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            'invalid_request_error',
            null,
            'invalid_api_key',
          ),
        };
      }
      return undefined;
    },

    checkHeaders: () => undefined,

    renderError: (error) => renderOpenAiError(error),

    notFound: (method, path) => ({
      status: 404,
      body: openAiErrorBody(`Invalid URL (${method} ${path})`, 'invalid_request_error', null, null),
    }),

    invalidJson: () => ({
      status: 400,
      body: openAiErrorBody(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        'invalid_request_error',
        null,
        null,
      ),
    }),

    modelsBody: (models, created) => ({
      object: 'list',
      data: models.map((id) => ({ id, object: 'model', created, owned_by: ownedBy })),
    }),

    chat(body, context) {
      let request: OpenAiStyleRequest;
      try {
        request = parseOpenAiStyleRequest(body);
      } catch (problem) {
        if (problem instanceof RequestProblem) return { type: 'error', error: openAiRequestProblem(problem) };
        throw problem;
      }
      if (!context.models.includes(request.model)) {
        return {
          type: 'error',
          error: {
            status: 404,
            body: openAiErrorBody(
              `The model \`${request.model}\` does not exist or you do not have access to it.`,
              'invalid_request_error',
              null,
              'model_not_found',
            ),
          },
        };
      }
      const plan = planReply({
        label,
        lastUserText: request.lastUserText,
        promptText: request.promptText,
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        stop: request.stop,
        tools: request.tools,
        ...forcedToolCall(context.knobs),
        serial: context.serial,
      });
      const id = `chatcmpl-sim${context.serial.toString(36).padStart(8, '0')}`;
      if (!request.stream) return { type: 'json', body: openAiCompletion(id, request.model, context.created, plan) };
      return {
        type: 'stream',
        frames: openAiStreamFrames(id, request.model, context.created, plan, request.includeUsage),
      };
    },
  };
}

export function renderOpenAiError(error: ErrorKnob): ErrorResponse {
  const template = ERRORS[error.kind];
  return {
    status: error.status ?? template.status,
    body: openAiErrorBody(error.message ?? template.message, template.type, template.param, template.code),
    ...(template.headers ? { headers: template.headers } : {}),
  };
}

export function openAiRequestProblem(problem: RequestProblem): ErrorResponse {
  return {
    status: 400,
    body: openAiErrorBody(
      problem.message,
      'invalid_request_error',
      problem.param,
      problem.code === 'missing' ? 'missing_required_parameter' : null,
    ),
  };
}

export function openAiUsage(plan: ReplyPlan): Record<string, unknown> {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function openAiCompletion(id: string, model: string, created: number, plan: ReplyPlan): unknown {
  const message = plan.toolCall
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: `call_${plan.toolCall.id}`,
            type: 'function',
            function: { name: plan.toolCall.name, arguments: plan.toolCall.argumentsJson },
          },
        ],
        refusal: null,
        annotations: [],
      }
    : { role: 'assistant', content: plan.text, refusal: null, annotations: [] };
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[plan.finish] }],
    usage: openAiUsage(plan),
    service_tier: 'default',
    system_fingerprint: 'fp_simulated',
  };
}

function openAiStreamFrames(
  id: string,
  model: string,
  created: number,
  plan: ReplyPlan,
  includeUsage: boolean,
): StreamFrame[] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null, tokens = 0): StreamFrame =>
    jsonFrame(
      {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        service_tier: 'default',
        system_fingerprint: 'fp_simulated',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...(includeUsage ? { usage: null } : {}),
      },
      tokens,
    );
  const frames: StreamFrame[] = [];
  if (plan.toolCall) {
    const call = plan.toolCall;
    frames.push(
      chunk(
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { index: 0, id: `call_${call.id}`, type: 'function', function: { name: call.name, arguments: '' } },
          ],
          refusal: null,
        },
        null,
      ),
    );
    for (const fragment of call.argumentFragments)
      frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: fragment } }] }, null, 1));
  } else {
    frames.push(chunk({ role: 'assistant', content: '', refusal: null }, null));
    for (const tokens of chunkTokens(plan.textTokens))
      frames.push(chunk({ content: tokens.join('') }, null, tokens.length));
  }
  frames.push(chunk({}, FINISH[plan.finish]));
  if (includeUsage) {
    frames.push(
      jsonFrame({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        service_tier: 'default',
        system_fingerprint: 'fp_simulated',
        choices: [],
        usage: openAiUsage(plan),
      }),
    );
  }
  frames.push({ data: '[DONE]', tokens: 0 });
  return frames;
}
