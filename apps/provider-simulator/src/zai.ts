// Zhipu Z.AI (GLM) wire format: base URL `/api/paas/v4`, OpenAI-like chat completions with
// `reasoning_content` when `thinking.type` is "enabled", usage on the last stream chunk, and
// business error codes in `{ error: { code: "1113", message } }` next to the HTTP status.
import { parseOpenAiStyleRequest, RequestProblem, type OpenAiStyleRequest } from './chat-request.js';
import { isRecord, type ErrorKind, type ErrorKnob } from './knobs.js';
import { chunkTokens, forcedToolCall, planReply, type ReplyFinish, type ReplyPlan } from './reply.js';
import { jsonFrame, type StreamFrame } from './sse.js';
import { bearerToken, type ErrorResponse, type WireFormat } from './wire-format.js';

interface ZaiErrorTemplate {
  status: number;
  code: string;
  message: string;
}

// Business codes from docs.z.ai/api-reference/api-code and docs.bigmodel.cn (1261). Where the
// documentation gives no HTTP status for a code, the status is the one seen in practice; the
// fixtures README lists which is which.
const ERRORS: Record<ErrorKind, ZaiErrorTemplate> = {
  auth: {
    status: 401,
    code: '1002',
    message: 'Authorization Token is invalid, please ensure that the Authorization Token is correctly provided.',
  },
  permission: { status: 403, code: '1220', message: 'You do not have permission to access this API' },
  bad_request: { status: 400, code: '1214', message: 'Input cannot be empty' },
  context_length: { status: 400, code: '1261', message: 'Prompt exceeds max length' },
  rate_limit: {
    status: 429,
    code: '1302',
    message:
      'High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits',
  },
  quota: { status: 429, code: '1113', message: 'Your account is in arrears, please recharge and try again' },
  overloaded: {
    status: 503,
    code: '1305',
    message: 'The service may be temporarily overloaded, please try again later',
  },
  server: { status: 500, code: '500', message: 'Internal Error' },
};

const FINISH: Record<ReplyFinish, string> = {
  stop: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
};

function zaiError(status: number, code: string, message: string): ErrorResponse {
  return { status, body: { error: { code, message } } };
}

export function renderZaiError(error: ErrorKnob): ErrorResponse {
  const template = ERRORS[error.kind];
  return zaiError(error.status ?? template.status, template.code, error.message ?? template.message);
}

export function createZaiFormat(): WireFormat {
  return {
    provider: 'zai',
    basePath: '/api/paas/v4',
    chatPath: '/api/paas/v4/chat/completions',
    // Not in Z.AI's API reference: the simulator's explicit probe path (OpenAI list shape).
    modelsPath: '/api/paas/v4/models',
    defaultModels: ['glm-4.6', 'glm-4.5', 'glm-4.5-air'],
    requestIdHeader: 'x-request-id',

    authenticate(headers, apiKey) {
      const token = bearerToken(headers);
      if (token === undefined) return zaiError(401, '1001', 'Authorization Token Missing');
      if (apiKey !== undefined && token !== apiKey) return zaiError(401, ERRORS.auth.code, ERRORS.auth.message);
      return undefined;
    },

    checkHeaders: () => undefined,

    renderError: (error) => renderZaiError(error),

    notFound: (_method, path) => zaiError(404, '1222', `API ${path} does not exist`),

    invalidJson: () => zaiError(400, '1210', 'Incorrect API call parameters, please check the documentation'),

    modelsBody: (models, created) => ({
      object: 'list',
      data: models.map((id) => ({ id, object: 'model', created, owned_by: 'z-ai' })),
    }),

    chat(body, context) {
      let request: OpenAiStyleRequest;
      try {
        request = parseOpenAiStyleRequest(body);
      } catch (problem) {
        if (!(problem instanceof RequestProblem)) throw problem;
        return problem.code === 'missing'
          ? { type: 'error', error: zaiError(400, '1213', `${problem.param} parameter not received properly`) }
          : {
              type: 'error',
              error: zaiError(400, '1214', `Invalid ${problem.param} parameter. Please check the documentation`),
            };
      }
      if (!context.models.includes(request.model)) {
        return { type: 'error', error: zaiError(400, '1211', 'Model does not exist, please check the model code') };
      }
      const thinking = isRecord(request.body.thinking) && request.body.thinking.type === 'enabled';
      const plan = planReply({
        label: 'ZAI',
        lastUserText: request.lastUserText,
        promptText: request.promptText,
        ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
        stop: request.stop,
        reasoning: thinking,
        tools: request.tools,
        ...forcedToolCall(context.knobs),
        serial: context.serial,
      });
      const id = `2025${context.serial.toString().padStart(12, '0')}sim`;
      const requestId = typeof request.body.request_id === 'string' ? request.body.request_id : id;
      if (!request.stream)
        return { type: 'json', body: zaiCompletion(id, requestId, request.model, context.created, plan) };
      return {
        type: 'stream',
        frames: zaiStreamFrames(id, request.model, context.created, plan, request.body.tool_stream === true),
      };
    },
  };
}

function zaiUsage(plan: ReplyPlan): Record<string, unknown> {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    total_tokens: plan.promptTokens + plan.completionTokens,
  };
}

function zaiToolCall(plan: ReplyPlan, argumentsText: string): Record<string, unknown> | undefined {
  if (!plan.toolCall) return undefined;
  // Documented as an object, but the API sends a JSON string, like OpenAI (what clients parse).
  return {
    id: `call_${plan.toolCall.id}`,
    type: 'function',
    index: 0,
    function: { name: plan.toolCall.name, arguments: argumentsText },
  };
}

function zaiCompletion(id: string, requestId: string, model: string, created: number, plan: ReplyPlan): unknown {
  const message: Record<string, unknown> = { role: 'assistant', content: plan.toolCall ? null : plan.text };
  if (plan.reasoning) message.reasoning_content = plan.reasoning;
  const call = zaiToolCall(plan, plan.toolCall?.argumentsJson ?? '');
  if (call) message.tool_calls = [call];
  return {
    id,
    request_id: requestId,
    created,
    model,
    choices: [{ index: 0, message, finish_reason: FINISH[plan.finish] }],
    usage: zaiUsage(plan),
  };
}

function zaiStreamFrames(
  id: string,
  model: string,
  created: number,
  plan: ReplyPlan,
  toolStream: boolean,
): StreamFrame[] {
  const chunk = (
    delta: Record<string, unknown>,
    tokens: number,
    finishReason: string | null = null,
    usage?: unknown,
  ): StreamFrame =>
    jsonFrame(
      { id, created, model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...(usage ? { usage } : {}) },
      tokens,
    );
  const frames: StreamFrame[] = [];
  // The first delta carries the role together with the first piece of output.
  const withRole = (delta: Record<string, unknown>) => (frames.length === 0 ? { role: 'assistant', ...delta } : delta);
  for (const tokens of chunkTokens(plan.reasoningTokens))
    frames.push(chunk(withRole({ reasoning_content: tokens.join('') }), tokens.length));
  if (plan.toolCall) {
    // Without tool_stream the whole call arrives in one delta; with it, arguments come in pieces.
    if (toolStream) {
      frames.push(chunk(withRole({ tool_calls: [zaiToolCall(plan, '')] }), 0));
      for (const fragment of plan.toolCall.argumentFragments)
        frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: fragment } }] }, 1));
    } else {
      frames.push(
        chunk(withRole({ tool_calls: [zaiToolCall(plan, plan.toolCall.argumentsJson)] }), plan.completionTokens),
      );
    }
  } else {
    for (const tokens of chunkTokens(plan.textTokens))
      frames.push(chunk(withRole({ content: tokens.join('') }), tokens.length));
  }
  frames.push(chunk({ role: 'assistant', content: '' }, 0, FINISH[plan.finish], zaiUsage(plan)));
  frames.push({ data: '[DONE]', tokens: 0 });
  return frames;
}
