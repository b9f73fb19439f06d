import { DomainError, describeError } from '@switchboard/kernel';

/** Every rule the instance-manager evaluates, with the severity its alerts carry. */
export const ALERT_RULES = {
  ProviderInstanceCritical: 'critical',
  ProviderNoHealthyInstance: 'critical',
  ModelNoRoute: 'critical',
  InstanceHighErrorRate: 'warning',
  InstanceHighLatency: 'warning',
  CircuitOpenTooLong: 'warning',
  CoreServiceDown: 'critical',
  ConsulNoLeader: 'critical',
  AppHighMemory: 'warning',
  AppEventLoopLag: 'warning',
} as const;

export type AlertName = keyof typeof ALERT_RULES;
export type AlertSeverity = (typeof ALERT_RULES)[AlertName];
export const ALERT_NAMES = Object.keys(ALERT_RULES) as AlertName[];

/** What every rule has: whether it runs, and how long its condition must hold before it fires. */
export interface RuleSettings {
  enabled: boolean;
  forSeconds: number;
}

export interface AlertingThresholds {
  version: 1;
  /** A firing alert is notified again this often while it keeps firing. */
  repeatIntervalSeconds: number;
  rules: {
    ProviderInstanceCritical: RuleSettings;
    ProviderNoHealthyInstance: RuleSettings;
    ModelNoRoute: RuleSettings;
    InstanceHighErrorRate: RuleSettings & { errorRate: number; minRequests: number };
    InstanceHighLatency: RuleSettings & { p95Ms: number; minRequests: number };
    CircuitOpenTooLong: RuleSettings & { openSeconds: number };
    CoreServiceDown: RuleSettings;
    ConsulNoLeader: RuleSettings;
    AppHighMemory: RuleSettings & { rssBytes: number };
    AppEventLoopLag: RuleSettings & { eventLoopDelayMs: number };
  };
}

/**
 * The thresholds in force while Consul KV holds none. The `for` durations ride out one failed
 * probe round or a replica restart; traffic rules want enough requests that one failure is not 100%.
 */
export const DEFAULT_ALERTING_THRESHOLDS: AlertingThresholds = {
  version: 1,
  repeatIntervalSeconds: 4 * 3600,
  rules: {
    ProviderInstanceCritical: { enabled: true, forSeconds: 30 },
    ProviderNoHealthyInstance: { enabled: true, forSeconds: 30 },
    ModelNoRoute: { enabled: true, forSeconds: 60 },
    InstanceHighErrorRate: { enabled: true, forSeconds: 120, errorRate: 0.2, minRequests: 20 },
    InstanceHighLatency: { enabled: true, forSeconds: 300, p95Ms: 20_000, minRequests: 20 },
    CircuitOpenTooLong: { enabled: true, forSeconds: 0, openSeconds: 300 },
    CoreServiceDown: { enabled: true, forSeconds: 60 },
    ConsulNoLeader: { enabled: true, forSeconds: 30 },
    AppHighMemory: { enabled: true, forSeconds: 300, rssBytes: 1_536 * 1024 * 1024 },
    AppEventLoopLag: { enabled: true, forSeconds: 120, eventLoopDelayMs: 500 },
  },
};

interface NumberBounds {
  min: number;
  max: number;
  integer?: boolean;
  unit: string;
}

const DAY_SECONDS = 86_400;
const FOR_SECONDS: NumberBounds = { min: 0, max: DAY_SECONDS, unit: 'seconds' };

/** The numeric settings each rule has besides forSeconds, with their allowed ranges. */
const RULE_NUMBERS: Record<AlertName, Record<string, NumberBounds>> = {
  ProviderInstanceCritical: {},
  ProviderNoHealthyInstance: {},
  ModelNoRoute: {},
  InstanceHighErrorRate: {
    errorRate: { min: 0, max: 1, unit: 'a share of requests' },
    minRequests: { min: 1, max: 1_000_000_000, integer: true, unit: 'requests' },
  },
  InstanceHighLatency: {
    p95Ms: { min: 1, max: 3_600_000, unit: 'milliseconds' },
    minRequests: { min: 1, max: 1_000_000_000, integer: true, unit: 'requests' },
  },
  CircuitOpenTooLong: { openSeconds: { min: 0, max: 7 * DAY_SECONDS, unit: 'seconds' } },
  CoreServiceDown: {},
  ConsulNoLeader: {},
  AppHighMemory: { rssBytes: { min: 1_048_576, max: 2 ** 50, integer: true, unit: 'bytes' } },
  AppEventLoopLag: { eventLoopDelayMs: { min: 1, max: 600_000, unit: 'milliseconds' } },
};

const REPEAT_INTERVAL: NumberBounds = { min: 1, max: 30 * DAY_SECONDS, unit: 'seconds' };

export class AlertingThresholdsError extends DomainError {
  readonly kind = 'invalid_request';
  override readonly details: readonly string[];

  constructor(readonly problems: string[]) {
    super(`invalid alerting thresholds: ${problems.join('; ')}`);
    this.name = 'AlertingThresholdsError';
    this.details = problems;
  }
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function numberProblem(path: string, value: unknown, bounds: NumberBounds): string | undefined {
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= bounds.min &&
    value <= bounds.max &&
    (!bounds.integer || Number.isInteger(value));
  if (valid) return undefined;
  const kind = bounds.integer ? 'a whole number' : 'a number';
  return `${path}: must be ${kind} of ${bounds.unit} from ${bounds.min} to ${bounds.max}`;
}

/**
 * Thresholds from parsed JSON (Consul KV or the admin API): missing fields keep their default,
 * every problem is collected with its JSON path, and nothing half-valid is ever returned.
 */
export function parseAlertingThresholds(value: unknown): AlertingThresholds {
  if (!isObject(value)) throw new AlertingThresholdsError(['(root): the thresholds must be a JSON object']);
  const problems: string[] = [];
  const thresholds = structuredClone(DEFAULT_ALERTING_THRESHOLDS);
  for (const key of Object.keys(value))
    if (!Object.hasOwn(DEFAULT_ALERTING_THRESHOLDS, key)) problems.push(`${key}: unknown field`);
  if (value.version !== undefined && value.version !== 1) problems.push('version: only version 1 is understood');
  if (value.repeatIntervalSeconds !== undefined) {
    const problem = numberProblem('repeatIntervalSeconds', value.repeatIntervalSeconds, REPEAT_INTERVAL);
    if (problem) problems.push(problem);
    else thresholds.repeatIntervalSeconds = value.repeatIntervalSeconds as number;
  }
  if (value.rules !== undefined) {
    if (!isObject(value.rules)) problems.push('rules: must be an object of rule name to its settings');
    else
      for (const [name, settings] of Object.entries(value.rules)) {
        if (!Object.hasOwn(ALERT_RULES, name))
          problems.push(`rules.${name}: unknown rule (known: ${ALERT_NAMES.join(', ')})`);
        else parseRule(name as AlertName, settings, thresholds, problems);
      }
  }
  if (problems.length > 0) throw new AlertingThresholdsError(problems);
  return thresholds;
}

function parseRule(name: AlertName, raw: unknown, thresholds: AlertingThresholds, problems: string[]): void {
  const path = `rules.${name}`;
  if (!isObject(raw)) {
    problems.push(`${path}: must be an object such as { "forSeconds": 30 }`);
    return;
  }
  const target = thresholds.rules[name] as unknown as JsonObject;
  const numbers: Record<string, NumberBounds> = { forSeconds: FOR_SECONDS, ...RULE_NUMBERS[name] };
  for (const [field, setting] of Object.entries(raw)) {
    if (field === 'enabled') {
      if (typeof setting === 'boolean') target.enabled = setting;
      else problems.push(`${path}.enabled: must be true or false`);
      continue;
    }
    const bounds = numbers[field];
    if (!bounds) {
      problems.push(`${path}.${field}: unknown field (known: enabled, ${Object.keys(numbers).join(', ')})`);
      continue;
    }
    const problem = numberProblem(`${path}.${field}`, setting, bounds);
    if (problem) problems.push(problem);
    else target[field] = setting;
  }
}

/** What the stored thresholds stand for: nothing stored, a valid document, or one refused and why. */
export type StoredThresholds =
  | { source: 'default'; modifyIndex: 0; thresholds: AlertingThresholds; problems: [] }
  | { source: 'consul'; modifyIndex: number; thresholds: AlertingThresholds; problems: [] }
  | { source: 'invalid'; modifyIndex: number; thresholds?: undefined; problems: string[] };

/** Reads the thresholds key's entry (its text and ModifyIndex), as the watcher and the admin API see it. */
export function readStoredThresholds(
  entry: { Value: string | null; ModifyIndex: number } | undefined,
): StoredThresholds {
  if (!entry || entry.Value === null || entry.Value === '')
    return { source: 'default', modifyIndex: 0, thresholds: DEFAULT_ALERTING_THRESHOLDS, problems: [] };
  try {
    const thresholds = parseAlertingThresholds(JSON.parse(entry.Value));
    return { source: 'consul', modifyIndex: entry.ModifyIndex, thresholds, problems: [] };
  } catch (error) {
    const problems =
      error instanceof AlertingThresholdsError ? error.problems : [`not valid JSON: ${describeError(error)}`];
    return { source: 'invalid', modifyIndex: entry.ModifyIndex, problems };
  }
}
