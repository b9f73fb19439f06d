import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppConfig, MetricsService, sleep } from '@switchboard/kernel';
import {
  type ChatRequest,
  type ChatResponse,
  type ClientError,
  type ProviderClient,
  ProviderError,
  type ProviderErrorKind,
  type ProviderName,
  type ProviderTarget,
  type StreamEvent,
} from '@switchboard/providers';
import { InstanceBalancer } from '../balancing/instance-balancer.js';
import { type RouteDecision, routeChat } from '../policy/router.js';
import { DEFAULT_ROUTING_POLICY, parseModelRef } from '../policy/routing-policy.js';
import type { RoutingPolicyStore } from '../policy/routing-policy.store.js';
import { requestFeatures } from '../policy/request-features.js';
import { InstanceCircuits } from '../resilience/instance-circuits.js';
import { type CatalogInstance, InstanceTable, type TableInstance } from '../table/instance-table.js';
import type { RedisEventsFeed } from '../table/redis-events-feed.js';
import type { RedisService } from '@switchboard/redis';
import { TrafficRecorder } from '../traffic/traffic-recorder.js';
import { ChatOrchestrator, type ServedReport, type StreamSink } from './chat-orchestrator.js';
import { NoHealthyInstanceError, RequestCancelledError } from './failover-errors.js';
import type { FailoverTiming } from './failover-run.js';

// ---- fakes ---------------------------------------------------------------------------------------

/** What one upstream call does: answer, fail with an error, or run a function (to abort mid-call). */
type Step = 'ok' | Error | ((signal: AbortSignal) => Promise<void> | void);
/** What one streaming call does: events, optionally followed by an error. */
interface StreamStep {
  events: StreamEvent[];
  thenFail?: Error;
  /** Runs after the events were taken (e.g. the client leaving mid-stream). */
  after?: () => void;
}

/**
 * A provider client that answers from a script per instance (the target's apiKey is the instance
 * id) and records who was called, in order. An instance called past its script answers 'ok'.
 */
class FakeProviderClient {
  readonly calls: string[] = [];

  constructor(
    private readonly script: Record<string, Step[]> = {},
    private readonly streams: Record<string, StreamStep[]> = {},
  ) {}

  async chat(
    _adapter: unknown,
    target: ProviderTarget,
    chat: ChatRequest,
    options: { signal?: AbortSignal },
  ): Promise<ChatResponse> {
    const id = target.apiKey;
    this.calls.push(id);
    const step = this.script[id]?.shift() ?? 'ok';
    if (step instanceof Error) throw step;
    if (typeof step === 'function') await step(options.signal!);
    return {
      id: `answer-from-${id}`,
      model: chat.model,
      provider: 'openai',
      created: 0,
      message: { content: `hello from ${id}` },
      finishReason: 'stop',
      usage: { promptTokens: 3, completionTokens: 5, totalTokens: 8 },
    };
  }

  async *stream(_adapter: unknown, target: ProviderTarget): AsyncGenerator<StreamEvent> {
    const id = target.apiKey;
    this.calls.push(id);
    const step = this.streams[id]?.shift() ?? { events: [text(`hello from ${id}`), finish] };
    for (const event of step.events) yield event;
    step.after?.();
    if (step.thenFail) throw step.thenFail;
  }
}

const text = (value: string): StreamEvent => ({ type: 'text', text: value });
const finish: StreamEvent = { type: 'finish', finishReason: 'stop' };
const start: StreamEvent = { type: 'start', id: 's', model: 'm', created: 0 };

/** Sleeps for real (Retry-After cool-downs are checked against the wall clock) but records each wait. */
class FakeTiming implements FailoverTiming {
  readonly waits: number[] = [];
  /** Runs when a wait starts (e.g. the client leaving during the backoff). */
  onSleep?: () => void;
  constructor(private readonly fixedRandom = 0.5) {}
  random = () => this.fixedRandom;
  sleep = async (ms: number, signal: AbortSignal) => {
    this.waits.push(ms);
    this.onSleep?.();
    await sleep(ms, signal);
  };
}

class RecordingSink implements StreamSink {
  opened: ServedReport | undefined;
  readonly events: StreamEvent[] = [];
  failed: ClientError | undefined;
  closed = false;
  open(report: ServedReport): void {
    this.opened = report;
  }
  write(event: StreamEvent): void {
    this.events.push(event);
  }
  fail(error: ClientError): void {
    this.failed = error;
  }
  close(): void {
    this.closed = true;
  }
}

const upstreamError = (provider: ProviderName, kind: ProviderErrorKind, retryAfterMs?: number) =>
  new ProviderError({ provider, kind, status: 500, message: `${kind} from the fake`, retryAfterMs });

/** A catalog row serving one "provider/model" pool; its API key is its id so the fake client knows who was called. */
function instance(id: string, pool: string, extra: Partial<CatalogInstance> = {}): CatalogInstance {
  const { provider, model } = parseModelRef(pool)!;
  return {
    id,
    name: id,
    provider,
    models: [model],
    baseUrl: `https://${id}.example`,
    weight: 1,
    priority: 0,
    draining: false,
    maxConcurrency: null,
    timeouts: { requestMs: 1_000, firstTokenMs: 1_000, idleMs: 1_000 },
    target: { apiKey: id },
    ...extra,
  };
}

const chat: ChatRequest = { model: 'gpt-4o', stream: false, messages: [{ role: 'user', content: 'Say hello' }] };

/** A decision over the given pools, in order (what the router would hand over). */
function decision(...pools: string[]): RouteDecision {
  return {
    requested: chat.model,
    mode: 'model',
    candidates: pools.map((pool) => {
      const { provider, model } = parseModelRef(pool)!;
      return { provider, model, pool, reason: 'test' };
    }),
    reasons: [],
    features: requestFeatures(chat, []),
  };
}

const OPENAI = 'openai/gpt-4o';
const CLAUDE = 'claude/claude-sonnet-4-6';
const ZAI = 'zai/glm-4.6';

/**
 * The real in-memory routing parts (table, circuits, balancer, retry budget) around a fake
 * provider client. The 'first' strategy makes the balancer pick instances in id order.
 */
function harness(
  rows: CatalogInstance[],
  client: FakeProviderClient,
  settings: Partial<AppConfig> = {},
  timing = new FakeTiming(),
) {
  const config = Object.assign(new AppConfig(), { GATEWAY_BACKOFF_BASE_MS: 0, ...settings });
  const metrics = new MetricsService('test');
  const table = new InstanceTable();
  table.replaceCatalog(rows);
  const events = { publishCircuit: () => undefined, onCircuitEvent: () => undefined } as unknown as RedisEventsFeed;
  const circuits = new InstanceCircuits(config, table, events, metrics);
  const policies = {
    policy: { ...DEFAULT_ROUTING_POLICY, balancing: { strategy: 'first', pools: {} } },
  } as unknown as RoutingPolicyStore;
  const balancer = new InstanceBalancer(table, circuits, policies, metrics);
  const orchestrator = new ChatOrchestrator(
    client as unknown as ProviderClient,
    balancer,
    table,
    circuits,
    metrics,
    config,
    // Counting is memory only; this harness never starts the recorder's reports to Redis.
    new TrafficRecorder({ available: false } as unknown as RedisService, table, circuits, config),
    timing,
  );
  const get = (id: string): TableInstance => table.get(id)!;
  /** The value of a counter for exactly these labels (0 when never counted). */
  const counted = async (name: 'fallbacks' | 'retries' | 'chatRequests', labels: Record<string, string>) => {
    const { values } = await metrics[name].get();
    const match = values.find((value) =>
      Object.entries(labels).every(([key, wanted]) => (value.labels as Record<string, unknown>)[key] === wanted),
    );
    return match?.value ?? 0;
  };
  return { orchestrator, table, circuits, config, timing, get, counted };
}

const live = () => new AbortController().signal;

// ---- specs ---------------------------------------------------------------------------------------

describe('ChatOrchestrator.complete', () => {
  test('answers from the first instance when it succeeds, with one attempt and no waits', async () => {
    const client = new FakeProviderClient();
    const { orchestrator, get, counted, timing } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
    const { response, report } = await orchestrator.complete(chat, decision(OPENAI), live());
    assert.equal(response.id, 'answer-from-a1');
    assert.deepEqual(client.calls, ['a1']);
    assert.equal(report.instance.id, 'a1');
    assert.equal(report.attempts, 1);
    assert.equal(report.backoffMs, 0);
    assert.deepEqual(timing.waits, []);
    assert.equal(get('a1').observed.inFlight, 0, 'the in-flight slot is given back');
    assert.equal(await counted('chatRequests', { provider: 'openai', outcome: 'success' }), 1);
  });

  test('a retryable failure moves on to the next instance of the same pool', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'server_error')] });
    const { orchestrator, get, counted } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
    const { report } = await orchestrator.complete(chat, decision(OPENAI, CLAUDE), live());
    assert.deepEqual(client.calls, ['a1', 'a2']);
    assert.equal(report.instance.id, 'a2');
    assert.equal(report.attempts, 2);
    assert.match(get('a1').observed.lastError ?? '', /server_error/);
    assert.equal(await counted('retries', { provider: 'openai', reason: 'server_error' }), 1);
    assert.equal(await counted('fallbacks', {}), 0, 'no other provider was needed');
  });

  test('when every instance of a provider fails, the next candidate provider serves and a fallback is counted', async () => {
    const client = new FakeProviderClient({
      a1: [upstreamError('openai', 'overloaded')],
      a2: [upstreamError('openai', 'timeout')],
    });
    const { orchestrator, counted } = harness(
      [instance('a1', OPENAI), instance('a2', OPENAI), instance('c1', CLAUDE)],
      client,
    );
    const { report } = await orchestrator.complete(chat, decision(OPENAI, CLAUDE), live());
    assert.deepEqual(client.calls, ['a1', 'a2', 'c1']);
    assert.equal(report.candidate.provider, 'claude');
    assert.equal(report.attempts, 3);
    assert.equal(await counted('fallbacks', { from_provider: 'openai', to_provider: 'claude' }), 1);
  });

  test('a client fault (bad request) is thrown as is: no other instance or provider is tried', async () => {
    const badRequest = upstreamError('openai', 'bad_request');
    const client = new FakeProviderClient({ a1: [badRequest] });
    const { orchestrator, circuits, get } = harness(
      [instance('a1', OPENAI), instance('a2', OPENAI), instance('c1', CLAUDE)],
      client,
      { CIRCUIT_FAILURE_THRESHOLD: 1 },
    );
    await assert.rejects(
      orchestrator.complete(chat, decision(OPENAI, CLAUDE), live()),
      (error) => error === badRequest,
    );
    assert.deepEqual(client.calls, ['a1']);
    assert.equal(circuits.state('a1'), 'closed', "the client's mistake does not count against the instance");
    assert.equal(get('a1').observed.inFlight, 0);
  });

  for (const kind of ['auth', 'permission', 'quota_exhausted'] as const) {
    test(`an account failure (${kind}) fails over and takes the instance out at once`, async () => {
      const client = new FakeProviderClient({ a1: [upstreamError('openai', kind)] });
      const { orchestrator, circuits } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
      const { report } = await orchestrator.complete(chat, decision(OPENAI), live());
      assert.equal(report.instance.id, 'a2');
      assert.deepEqual(client.calls, ['a1', 'a2']);
      assert.equal(circuits.state('a1'), 'open', 'one rejection is enough: the next would fail the same way');
    });
  }

  test('an error of our own (not a ProviderError) is rethrown without further attempts', async () => {
    const bug = new TypeError('adapter bug');
    const client = new FakeProviderClient({ a1: [bug] });
    const { orchestrator, get } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
    await assert.rejects(orchestrator.complete(chat, decision(OPENAI), live()), (error) => error === bug);
    assert.deepEqual(client.calls, ['a1']);
    assert.equal(get('a1').observed.inFlight, 0);
  });

  test('an instance whose circuit is open is skipped', async () => {
    const client = new FakeProviderClient();
    const { orchestrator, circuits, get } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client, {
      CIRCUIT_FAILURE_THRESHOLD: 1,
    });
    circuits.onFailure(get('a1'), Date.now(), 'down');
    assert.equal(circuits.state('a1'), 'open');
    const { report } = await orchestrator.complete(chat, decision(OPENAI), live());
    assert.deepEqual(client.calls, ['a2']);
    assert.equal(report.attempts, 1);
  });

  test('failures open the circuit, and the next request no longer asks that instance', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'server_error')] });
    const { orchestrator, circuits } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client, {
      CIRCUIT_FAILURE_THRESHOLD: 1,
    });
    await orchestrator.complete(chat, decision(OPENAI), live());
    assert.equal(circuits.state('a1'), 'open');
    await orchestrator.complete(chat, decision(OPENAI), live());
    assert.deepEqual(client.calls, ['a1', 'a2', 'a2']);
  });

  test('stops at GATEWAY_MAX_ATTEMPTS and reports the last failure', async () => {
    const client = new FakeProviderClient({
      a1: [upstreamError('openai', 'server_error')],
      a2: [upstreamError('openai', 'network')],
    });
    const { orchestrator } = harness([instance('a1', OPENAI), instance('a2', OPENAI), instance('a3', OPENAI)], client, {
      GATEWAY_MAX_ATTEMPTS: 2,
    });
    await assert.rejects(
      orchestrator.complete(chat, decision(OPENAI), live()),
      (error) => error instanceof NoHealthyInstanceError && error.lastError?.kind === 'network',
    );
    assert.deepEqual(client.calls, ['a1', 'a2']);
  });

  test('when the retry budget is spent, a failure is not retried', async () => {
    // A 0 % ratio leaves the floor of DEFAULT_RETRY_BUDGET (10 retries/s over 10 s): spend it.
    const script: Record<string, Step[]> = { a1: [] };
    for (let index = 0; index < 101; index += 1) script.a1!.push(upstreamError('openai', 'server_error'));
    const client = new FakeProviderClient(script);
    const { orchestrator } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client, {
      GATEWAY_RETRY_BUDGET_PERCENT: 0,
      // Keep a1's circuit closed, so every request really starts on a1 and spends a retry.
      CIRCUIT_FAILURE_THRESHOLD: 1_000,
      CIRCUIT_MINIMUM_REQUESTS: 1_000,
    });
    for (let index = 0; index < 100; index += 1) await orchestrator.complete(chat, decision(OPENAI), live());
    client.calls.length = 0;
    await assert.rejects(
      orchestrator.complete(chat, decision(OPENAI), live()),
      (error) => error instanceof NoHealthyInstanceError && error.lastError?.kind === 'server_error',
    );
    assert.deepEqual(client.calls, ['a1'], 'the retry on a2 was refused by the budget');
  });

  test('retries wait a full-jitter backoff that doubles per retry', async () => {
    const client = new FakeProviderClient({
      a1: [upstreamError('openai', 'server_error')],
      a2: [upstreamError('openai', 'server_error')],
      a3: [upstreamError('openai', 'server_error')],
    });
    const timing = new FakeTiming(0.5);
    const { orchestrator } = harness(
      ['a1', 'a2', 'a3', 'a4'].map((id) => instance(id, OPENAI)),
      client,
      { GATEWAY_BACKOFF_BASE_MS: 20, GATEWAY_BACKOFF_MAX_MS: 60 },
      timing,
    );
    const { report } = await orchestrator.complete(chat, decision(OPENAI), live());
    // Full jitter at random 0.5: half of 20, 40, then 80 capped at 60 (equal jitter would give 15, 30, 45).
    assert.deepEqual(timing.waits, [10, 20, 30]);
    assert.equal(report.backoffMs, 60);
    assert.equal(report.attempts, 4);
  });

  test('a 429 cools its instance down for its Retry-After: later requests skip it meanwhile', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'rate_limited', 60_000)] });
    const { orchestrator, get } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
    await orchestrator.complete(chat, decision(OPENAI), live());
    assert.ok(get('a1').observed.coolingUntil > Date.now() + 50_000);
    await orchestrator.complete(chat, decision(OPENAI), live());
    assert.deepEqual(client.calls, ['a1', 'a2', 'a2']);
  });

  test('when everyone left is rate limited, the Retry-After is waited out once and the instance asked again', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'rate_limited', 40)] });
    const { orchestrator, timing } = harness([instance('a1', OPENAI)], client);
    const { report } = await orchestrator.complete(chat, decision(OPENAI), live());
    assert.deepEqual(client.calls, ['a1', 'a1']);
    assert.equal(timing.waits.length, 1);
    assert.ok(timing.waits[0]! > 0 && timing.waits[0]! <= 40, `waited ${timing.waits[0]} ms`);
    assert.equal(report.attempts, 2);
    assert.equal(report.backoffMs, timing.waits[0]);
  });

  test('a Retry-After longer than GATEWAY_MAX_RETRY_AFTER_MS is not waited for', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'rate_limited', 60_000)] });
    const { orchestrator, timing } = harness([instance('a1', OPENAI)], client, { GATEWAY_MAX_RETRY_AFTER_MS: 5_000 });
    await assert.rejects(
      orchestrator.complete(chat, decision(OPENAI), live()),
      (error) => error instanceof NoHealthyInstanceError && error.lastError?.kind === 'rate_limited',
    );
    assert.deepEqual(client.calls, ['a1']);
    assert.deepEqual(timing.waits, []);
  });

  test('a client that leaves during an attempt stops the request: no further attempts', async () => {
    const controller = new AbortController();
    const client = new FakeProviderClient({
      a1: [
        () => {
          controller.abort();
          throw upstreamError('openai', 'network');
        },
      ],
    });
    const { orchestrator, get } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
    await assert.rejects(orchestrator.complete(chat, decision(OPENAI), controller.signal), RequestCancelledError);
    assert.deepEqual(client.calls, ['a1']);
    assert.equal(get('a1').observed.lastError, undefined, 'a cancelled attempt says nothing about the instance');
    assert.equal(get('a1').observed.inFlight, 0);
  });

  test('an explicit provider/model route with no fallbacks never moves to another provider', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'server_error')] });
    const { orchestrator, table } = harness([instance('a1', OPENAI), instance('c1', CLAUDE)], client);
    const explicit = routeChat(
      { ...chat, model: 'openai/gpt-4o' },
      {},
      { ...DEFAULT_ROUTING_POLICY, fallbacks: {} },
      table,
    );
    assert.equal(explicit.mode, 'explicit');
    await assert.rejects(orchestrator.complete(chat, explicit, live()), NoHealthyInstanceError);
    assert.deepEqual(client.calls, ['a1'], 'the healthy claude instance is not asked');
  });

  test('a pool whose only instance has no API key fails with that reason, without calling anyone', async () => {
    const client = new FakeProviderClient();
    const { orchestrator } = harness([instance('a1', OPENAI, { target: undefined })], client);
    await assert.rejects(
      orchestrator.complete(chat, decision(OPENAI), live()),
      (error) => error instanceof NoHealthyInstanceError && /no usable API key/.test(error.message),
    );
    assert.deepEqual(client.calls, []);
  });
});

describe('ChatOrchestrator.stream', () => {
  test('sends the events in order to the sink, then closes it', async () => {
    const client = new FakeProviderClient({}, { a1: [{ events: [start, text('hel'), text('lo'), finish] }] });
    const { orchestrator, get } = harness([instance('a1', OPENAI)], client);
    const sink = new RecordingSink();
    const report = await orchestrator.stream(chat, decision(OPENAI), live(), sink);
    assert.equal(sink.opened, report);
    assert.deepEqual(sink.events, [start, text('hel'), text('lo'), finish]);
    assert.equal(sink.closed, true);
    assert.equal(sink.failed, undefined);
    assert.equal(get('a1').observed.inFlight, 0);
  });

  test('a failure before the first content fails over; the client only sees the instance that served', async () => {
    const client = new FakeProviderClient(
      {},
      { a1: [{ events: [start], thenFail: upstreamError('openai', 'stream_cut') }], c1: [{ events: [text('hi')] }] },
    );
    const { orchestrator } = harness([instance('a1', OPENAI), instance('c1', CLAUDE)], client);
    const sink = new RecordingSink();
    const report = await orchestrator.stream(chat, decision(OPENAI, CLAUDE), live(), sink);
    assert.deepEqual(client.calls, ['a1', 'c1']);
    assert.equal(report.instance.id, 'c1');
    assert.deepEqual(sink.events, [text('hi')], "a1's start event never reached the client");
  });

  test('after the first content went out, a failure ends the stream with an error and no failover', async () => {
    const client = new FakeProviderClient(
      {},
      { a1: [{ events: [text('half an ans')], thenFail: upstreamError('openai', 'stream_cut') }] },
    );
    const { orchestrator, get, counted } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
    const sink = new RecordingSink();
    const report = await orchestrator.stream(chat, decision(OPENAI), live(), sink);
    assert.deepEqual(client.calls, ['a1']);
    assert.equal(report.instance.id, 'a1');
    assert.deepEqual(sink.events, [text('half an ans')]);
    assert.equal(sink.failed?.kind, 'stream_cut');
    assert.match(get('a1').observed.lastError ?? '', /stream_cut/);
    assert.equal(await counted('chatRequests', { provider: 'openai', outcome: 'upstream_error' }), 1);
  });

  test('a client that leaves mid-stream gets the stream closed, not failed, and nothing is retried', async () => {
    const controller = new AbortController();
    const client = new FakeProviderClient(
      {},
      {
        a1: [
          {
            events: [text('hi')],
            after: () => controller.abort(),
            thenFail: upstreamError('openai', 'network'),
          },
        ],
      },
    );
    const { orchestrator, get, counted } = harness([instance('a1', OPENAI), instance('a2', OPENAI)], client);
    const sink = new RecordingSink();
    await orchestrator.stream(chat, decision(OPENAI), controller.signal, sink);
    assert.deepEqual(client.calls, ['a1']);
    assert.equal(sink.closed, true);
    assert.equal(sink.failed, undefined);
    assert.equal(get('a1').observed.inFlight, 0);
    assert.equal(await counted('chatRequests', { outcome: 'cancelled' }), 1);
  });
});

describe('ChatOrchestrator edge cases', () => {
  test('a fallback is counted only to a provider that was actually tried', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'server_error')] });
    const { orchestrator, circuits, get, counted } = harness(
      [instance('a1', OPENAI), instance('c1', CLAUDE), instance('z1', ZAI)],
      client,
      { CIRCUIT_FAILURE_THRESHOLD: 1 },
    );
    circuits.onFailure(get('c1'), Date.now(), 'down');
    const { report } = await orchestrator.complete(chat, decision(OPENAI, CLAUDE, ZAI), live());
    assert.deepEqual(client.calls, ['a1', 'z1']);
    assert.equal(report.instance.id, 'z1');
    assert.equal(await counted('fallbacks', { to_provider: 'claude' }), 0, 'nothing was tried on claude');
    assert.equal(await counted('fallbacks', { from_provider: 'openai', to_provider: 'zai' }), 1);
  });

  test('an instance without a key does not hide the real upstream failure', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'server_error')] });
    const { orchestrator } = harness([instance('a1', OPENAI), instance('a2', OPENAI, { target: undefined })], client);
    await assert.rejects(
      orchestrator.complete(chat, decision(OPENAI), live()),
      (error) => error instanceof NoHealthyInstanceError && error.lastError?.kind === 'server_error',
    );
  });

  test('an instance without a key does not stop the Retry-After wait of a rate-limited pool', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'rate_limited', 30)] });
    const { orchestrator, timing } = harness(
      [instance('a1', OPENAI), instance('a2', OPENAI, { target: undefined })],
      client,
    );
    const { report } = await orchestrator.complete(chat, decision(OPENAI), live());
    assert.deepEqual(client.calls, ['a1', 'a1']);
    assert.equal(report.attempts, 2);
    assert.equal(timing.waits.length, 1);
  });

  test('a client that leaves during the backoff stops the request before the next attempt', async () => {
    const controller = new AbortController();
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'server_error')] });
    const timing = new FakeTiming(0.5);
    timing.onSleep = () => controller.abort();
    const { orchestrator, get } = harness(
      [instance('a1', OPENAI), instance('a2', OPENAI)],
      client,
      { GATEWAY_BACKOFF_BASE_MS: 1_000 },
      timing,
    );
    await assert.rejects(orchestrator.complete(chat, decision(OPENAI), controller.signal), RequestCancelledError);
    assert.deepEqual(client.calls, ['a1'], 'a2 is not called for a client that is gone');
    assert.equal(get('a2').observed.inFlight, 0);
  });

  test('Retry-After: 0 means "ask again now": the rate-limited instance is retried at once', async () => {
    const client = new FakeProviderClient({ a1: [upstreamError('openai', 'rate_limited', 0)] });
    const { orchestrator, timing } = harness([instance('a1', OPENAI)], client);
    const { report } = await orchestrator.complete(chat, decision(OPENAI), live());
    assert.deepEqual(client.calls, ['a1', 'a1']);
    assert.equal(report.attempts, 2);
    assert.ok(timing.waits.every((wait) => wait === 0));
  });
});
