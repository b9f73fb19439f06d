import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A registry's metrics as data (what a cluster primary adds up across workers). */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Every metric name Switchboard defines starts with this. */
export const METRIC_PREFIX = 'switchboard_';

/**
 * The app's prom-client registry: Node process metrics (standard names) plus Switchboard's own,
 * all labelled with the app. Labels stay low-cardinality: route patterns, never raw URLs or ids.
 */
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Health probes of provider instances (instance-manager). */
  readonly probeDuration: Histogram<'provider' | 'outcome'>;
  /** Consul check status changes of provider instances, by the status entered. */
  readonly instanceStatusChanges: Counter<'provider' | 'status'>;
  /** The check status of each provider instance the instance-manager probes (0 passing, 1 warning, 2 critical). */
  readonly instanceHealth: Gauge<'provider' | 'instance'>;
  /** Chat requests answered by the gateway, by the provider and model that served (or last failed) and the outcome. */
  readonly chatRequests: Counter<'provider' | 'model' | 'outcome'>;
  /** One upstream attempt, from sending to the full answer (non-stream) or the end of the stream. */
  readonly upstreamDuration: Histogram<'provider' | 'outcome'>;
  /** Time the gateway itself spent on a request: total minus upstream waits and backoff sleeps. */
  readonly gatewayOverhead: Histogram<'format'>;
  readonly timeToFirstToken: Histogram<'provider'>;
  readonly tokens: Counter<'provider' | 'model' | 'kind'>;
  /** Another attempt after a failure, by the failure kind that caused it. */
  readonly retries: Counter<'provider' | 'reason'>;
  /** A request moved on to another (provider, model) candidate. */
  readonly fallbacks: Counter<'from_provider' | 'to_provider'>;
  readonly circuitState: Gauge<'provider' | 'instance'>;
  readonly circuitTransitions: Counter<'provider' | 'state'>;
  readonly poolInstances: Gauge<'pool' | 'status'>;
  readonly rateLimited: Counter<'format'>;
  /** Chat requests a gateway replica holds now: being served, or waiting for a slot. */
  readonly admission: Gauge<'state'>;
  /** Chat requests refused by admission control, by why (queue_full, wait_exceeded). */
  readonly admissionRefused: Counter<'reason'>;
  /** An instance's account refused to serve (credentials rejected, quota spent), seen by a probe or by traffic. */
  readonly accountFailures: Counter<'provider' | 'kind' | 'source'>;
  /** Consul HTTP API calls, by endpoint pattern and outcome; blocking queries apart (their time is mostly waiting). */
  readonly consulRequests: Histogram<'method' | 'endpoint' | 'outcome' | 'blocking'>;
  /** Service registrations and deregistrations this app made in Consul. */
  readonly consulRegistrations: Counter<'operation'>;
  /** Blocking watches that start over: after a failed query, or because Consul's index went backwards. */
  readonly consulWatchRestarts: Counter<'endpoint' | 'reason'>;
  /** Spend in USD by the provider and model that served, from the usage the provider reported. */
  readonly costUsd: Counter<'provider' | 'model'>;
  /** Requests whose tokens had no known price (their cost is recorded as unknown, not zero). */
  readonly unpricedRequests: Counter<'provider' | 'model'>;
  /** Today's spend of the keys that spent most (the top few per replica), as last read from Redis. */
  readonly keySpend: Gauge<'key_id'>;
  /** Requests refused by a key's limits, by reason: the request log's error_kind (routing's KEY_REFUSALS). */
  readonly keyLimitRefused: Counter<'reason'>;
  /** Request log rows written to Postgres. */
  readonly requestLogWritten: Counter;
  /** Request log rows dropped, by reason: queue_full (oldest first, Postgres slow or away) or refused (bad row data). */
  readonly requestLogDropped: Counter<'reason'>;
  /** Request log rows that lost their bodies to the queue's bytes bound (the rows themselves kept). */
  readonly requestLogBodiesDropped: Counter;
  /** Request log rows waiting in memory for their write. */
  readonly requestLogQueued: Gauge;
  /** Firing alerts of the instance-manager's rules; only the leader exports non-zero values. */
  readonly alertsActive: Gauge<'alertname' | 'severity'>;
  private readonly collectors: (() => void)[] = [];

  constructor(app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
    this.httpRequestDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time from receiving an HTTP request to finishing its response, by route pattern.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.probeDuration = new Histogram({
      name: `${METRIC_PREFIX}probe_duration_seconds`,
      help: 'Duration of provider instance health probes, by provider and outcome (success, failure).',
      labelNames: ['provider', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.instanceStatusChanges = new Counter({
      name: `${METRIC_PREFIX}instance_status_changes_total`,
      help: 'Provider instance check status changes, by provider and the status entered.',
      labelNames: ['provider', 'status'],
      registers: [this.registry],
    });
    this.instanceHealth = new Gauge({
      name: `${METRIC_PREFIX}instance_health`,
      help: 'Check status of each provider instance this replica probed recently (by instance name): 0 passing, 1 warning, 2 critical.',
      labelNames: ['provider', 'instance'],
      registers: [this.registry],
    });
    this.chatRequests = new Counter({
      name: `${METRIC_PREFIX}chat_requests_total`,
      help: 'Chat requests by the provider and model that served them (or failed last) and outcome (success, client_error, upstream_error, no_instance, rate_limited, cancelled).',
      labelNames: ['provider', 'model', 'outcome'],
      registers: [this.registry],
    });
    this.upstreamDuration = new Histogram({
      name: `${METRIC_PREFIX}upstream_duration_seconds`,
      help: 'Duration of one upstream attempt, by provider and outcome (success or the failure kind).',
      labelNames: ['provider', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [this.registry],
    });
    this.gatewayOverhead = new Histogram({
      name: `${METRIC_PREFIX}gateway_overhead_seconds`,
      help: 'Time the gateway itself added to a request (total minus upstream waits and backoff), by client format.',
      labelNames: ['format'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05],
      registers: [this.registry],
    });
    this.timeToFirstToken = new Histogram({
      name: `${METRIC_PREFIX}time_to_first_token_seconds`,
      help: 'Streaming: from the start of the successful attempt to its first content token, by provider.',
      labelNames: ['provider'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [this.registry],
    });
    this.tokens = new Counter({
      name: `${METRIC_PREFIX}tokens_total`,
      help: 'Tokens reported by providers, by provider, model and kind (prompt, completion).',
      labelNames: ['provider', 'model', 'kind'],
      registers: [this.registry],
    });
    this.retries = new Counter({
      name: `${METRIC_PREFIX}retries_total`,
      help: 'Further attempts after a failed one, by the provider that failed and the failure kind.',
      labelNames: ['provider', 'reason'],
      registers: [this.registry],
    });
    this.fallbacks = new Counter({
      name: `${METRIC_PREFIX}fallbacks_total`,
      help: 'Requests that moved on to another provider/model candidate, from and to provider.',
      labelNames: ['from_provider', 'to_provider'],
      registers: [this.registry],
    });
    this.circuitState = new Gauge({
      name: `${METRIC_PREFIX}circuit_state`,
      help: 'Circuit breaker state per provider instance (by instance name): 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider', 'instance'],
      // Workers of one gateway share circuits: their views agree, so one of them is the value.
      aggregator: 'max',
      registers: [this.registry],
    });
    this.circuitTransitions = new Counter({
      name: `${METRIC_PREFIX}circuit_transitions_total`,
      help: 'Circuit breaker state changes, by provider and the state entered.',
      labelNames: ['provider', 'state'],
      registers: [this.registry],
    });
    this.poolInstances = new Gauge({
      name: `${METRIC_PREFIX}pool_instances`,
      help: 'Instances per pool (provider/model) by routing status: healthy (usable now), degraded (warning), unavailable (critical, draining, circuit open).',
      labelNames: ['pool', 'status'],
      aggregator: 'max',
      registers: [this.registry],
    });
    this.rateLimited = new Counter({
      name: `${METRIC_PREFIX}rate_limited_total`,
      help: 'Requests refused because the client key exceeded its rate limit, by client format.',
      labelNames: ['format'],
      registers: [this.registry],
    });
    this.admission = new Gauge({
      name: `${METRIC_PREFIX}admission_requests`,
      help: 'Chat requests this gateway replica holds, by state (in_flight, queued).',
      labelNames: ['state'],
      registers: [this.registry],
    });
    this.admissionRefused = new Counter({
      name: `${METRIC_PREFIX}admission_refused_total`,
      help: 'Chat requests refused at once by admission control (503 with Retry-After), by reason.',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.accountFailures = new Counter({
      name: `${METRIC_PREFIX}instance_account_failures_total`,
      help: "Upstream refusals that are an instance account's fault (auth, permission, quota_exhausted) or its refused baseUrl (destination_refused), by who saw it (probe, traffic).",
      labelNames: ['provider', 'kind', 'source'],
      registers: [this.registry],
    });
    this.consulRequests = new Histogram({
      name: `${METRIC_PREFIX}consul_request_duration_seconds`,
      help: 'Consul HTTP API calls by method, endpoint pattern, outcome (ok, http_4xx, http_5xx, unavailable) and whether it was a blocking query.',
      labelNames: ['method', 'endpoint', 'outcome', 'blocking'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.consulRegistrations = new Counter({
      name: `${METRIC_PREFIX}consul_registrations_total`,
      help: 'Service registrations and deregistrations this app sent to its Consul agent, by operation (register, deregister).',
      labelNames: ['operation'],
      registers: [this.registry],
    });
    this.costUsd = new Counter({
      name: `${METRIC_PREFIX}cost_usd_total`,
      help: 'Spend in USD computed from the usage providers reported and the price table, by the provider and model that served.',
      labelNames: ['provider', 'model'],
      registers: [this.registry],
    });
    this.unpricedRequests = new Counter({
      name: `${METRIC_PREFIX}unpriced_requests_total`,
      help: 'Served requests whose model has no known price: their cost is unknown (null in the request log), not zero.',
      labelNames: ['provider', 'model'],
      registers: [this.registry],
    });
    this.keySpend = new Gauge({
      name: `${METRIC_PREFIX}key_spend_today_usd`,
      help: "Today's (UTC) spend in USD of the client keys that spent most, every replica's total as this one last read it from Redis; only the top 10 keys are exported, so the label stays bounded.",
      labelNames: ['key_id'],
      // Workers read the same shared totals: one of them is the value.
      aggregator: 'max',
      registers: [this.registry],
    });
    this.keyLimitRefused = new Counter({
      name: `${METRIC_PREFIX}key_limit_refused_total`,
      help: "Chat requests refused by their client key's limits, by reason (daily_budget, monthly_budget, tokens_per_minute, model_not_allowed, expired), the words of the request log's error_kind.",
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.requestLogWritten = new Counter({
      name: `${METRIC_PREFIX}request_log_written_total`,
      help: 'Request log rows written to Postgres.',
      registers: [this.registry],
    });
    this.requestLogDropped = new Counter({
      name: `${METRIC_PREFIX}request_log_dropped_total`,
      help: 'Request log rows dropped, by reason: queue_full (the oldest rows, while Postgres was slow or away the in-memory queue reached its rows or bytes bound) or refused (Postgres refused the row itself).',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.requestLogBodiesDropped = new Counter({
      name: `${METRIC_PREFIX}request_log_bodies_dropped_total`,
      help: 'Request log rows whose prompt and answer were dropped (the row kept) because the in-memory queue reached its bytes bound.',
      registers: [this.registry],
    });
    this.requestLogQueued = new Gauge({
      name: `${METRIC_PREFIX}request_log_queued_rows`,
      help: 'Request log rows held in memory waiting for their write.',
      registers: [this.registry],
    });
    this.consulWatchRestarts = new Counter({
      name: `${METRIC_PREFIX}consul_watch_restarts_total`,
      help: "Consul blocking queries that failed (reason error, the watch backs off and retries) or found Consul's index gone backwards (reason index_reset, the watch follows it), by endpoint pattern.",
      labelNames: ['endpoint', 'reason'],
      registers: [this.registry],
    });
    this.alertsActive = new Gauge({
      name: `${METRIC_PREFIX}alerts_active`,
      help: 'Firing alerts by alertname and severity. Only the instance-manager leader, which evaluates the rules, exports non-zero values; the other replicas export 0, so a sum over replicas counts each alert once.',
      labelNames: ['alertname', 'severity'],
      registers: [this.registry],
    });
  }

  /** The Consul client's hooks into this app's metrics (ConsulClientOptions.observer). */
  get consulObserver() {
    return {
      call: (method: string, endpoint: string, outcome: string, seconds: number, blocking: boolean) =>
        this.consulRequests.observe({ method, endpoint, outcome, blocking: String(blocking) }, seconds),
      registration: (operation: 'register' | 'deregister') => this.consulRegistrations.inc({ operation }),
      watchRestart: (endpoint: string, reason: 'error' | 'index_reset') =>
        this.consulWatchRestarts.inc({ endpoint, reason }),
    };
  }

  /** Runs before each scrape: gauges that mirror in-memory state are set here, not per request. */
  addCollector(collector: () => void): void {
    this.collectors.push(collector);
  }

  async render(): Promise<string> {
    for (const collector of this.collectors) collector();
    return this.registry.metrics();
  }

  /** The metrics as data, for a cluster primary to add up across workers. */
  async snapshot(): Promise<MetricsSnapshot> {
    for (const collector of this.collectors) collector();
    return this.registry.getMetricsAsJSON();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
