import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

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
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
