// Knobs: the per-instance switches that make a simulated provider slow, flaky or broken.
// Validation lives here so the control API and the in-process API reject the same inputs
// with the same field names.

export const ERROR_KINDS = [
  'auth',
  'permission',
  'bad_request',
  'context_length',
  'rate_limit',
  'quota',
  'overloaded',
  'server',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ErrorKnob {
  kind: ErrorKind;
  /** Overrides the provider's documented status for the kind (e.g. 402 for Claude billing). */
  status?: number;
  retryAfterSeconds?: number;
  message?: string;
}

export interface ToolCallKnob {
  name?: string;
  arguments?: Record<string, unknown>;
}

export interface Knobs {
  latencyMs?: number;
  ttftMs?: number;
  tokensPerSecond?: number;
  error?: ErrorKnob;
  errorRate?: number;
  seed?: number;
  hangBeforeHeaders?: boolean;
  stallAfterChunks?: number;
  cutAfterChunks?: number;
  malformedChunkAt?: number;
  refuseConnections?: boolean;
  toolCall?: boolean | ToolCallKnob;
}

/** A knob update: a value sets the knob, `null` clears it, an absent key leaves it alone. */
export type KnobPatch = { [K in keyof Knobs]?: Knobs[K] | null };

/** Bad input to the simulator: `field` names the offending property (e.g. `knobs.latencyMs`). */
export class SimulatorInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SimulatorInputError';
  }
}

const NUMBER_KNOBS = ['latencyMs', 'ttftMs', 'tokensPerSecond', 'seed'] as const;
const COUNT_KNOBS = ['stallAfterChunks', 'cutAfterChunks', 'malformedChunkAt'] as const;
const BOOLEAN_KNOBS = ['hangBeforeHeaders', 'refuseConnections'] as const;
const KNOWN_KNOBS = new Set<string>([
  ...NUMBER_KNOBS,
  ...COUNT_KNOBS,
  ...BOOLEAN_KNOBS,
  'error',
  'errorRate',
  'toolCall',
]);

// When only a status is given, the kind follows from it the way the providers use statuses.
const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: 'bad_request',
  401: 'auth',
  402: 'quota',
  403: 'permission',
  413: 'context_length',
  429: 'rate_limit',
  500: 'server',
  502: 'server',
  503: 'overloaded',
  504: 'server',
  529: 'overloaded',
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseKnobPatch(input: unknown, path = 'knobs'): KnobPatch {
  if (!isRecord(input)) throw new SimulatorInputError(path, 'must be an object');
  const patch: KnobPatch = {};
  for (const [key, value] of Object.entries(input)) {
    const field = `${path}.${key}`;
    if (!KNOWN_KNOBS.has(key)) throw new SimulatorInputError(field, 'is not a known knob');
    if (value === null) {
      (patch as Record<string, null>)[key] = null;
      continue;
    }
    if ((NUMBER_KNOBS as readonly string[]).includes(key)) {
      (patch as Record<string, number>)[key] = nonNegativeNumber(value, field);
    } else if ((COUNT_KNOBS as readonly string[]).includes(key)) {
      (patch as Record<string, number>)[key] = positiveInteger(value, field);
    } else if ((BOOLEAN_KNOBS as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new SimulatorInputError(field, 'must be a boolean');
      (patch as Record<string, boolean>)[key] = value;
    } else if (key === 'errorRate') {
      const rate = nonNegativeNumber(value, field);
      if (rate > 1) throw new SimulatorInputError(field, 'must be between 0 and 1');
      patch.errorRate = rate;
    } else if (key === 'error') {
      patch.error = parseErrorKnob(value, field);
    } else if (key === 'toolCall') {
      patch.toolCall = parseToolCallKnob(value, field);
    }
  }
  return patch;
}

export function applyKnobPatch(current: Knobs, patch: KnobPatch): Knobs {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as Knobs;
}

function parseErrorKnob(value: unknown, field: string): ErrorKnob {
  if (!isRecord(value))
    throw new SimulatorInputError(field, 'must be an object like { kind, status?, retryAfterSeconds?, message? }');
  for (const key of Object.keys(value)) {
    if (!['kind', 'status', 'retryAfterSeconds', 'message'].includes(key)) {
      throw new SimulatorInputError(`${field}.${key}`, 'is not a known error field');
    }
  }
  let status: number | undefined;
  if (value.status !== undefined) {
    status = positiveInteger(value.status, `${field}.status`);
    if (status < 400 || status > 599)
      throw new SimulatorInputError(`${field}.status`, 'must be an HTTP error status (400-599)');
  }
  let kind: ErrorKind | undefined;
  if (value.kind !== undefined) {
    if (typeof value.kind !== 'string' || !(ERROR_KINDS as readonly string[]).includes(value.kind)) {
      throw new SimulatorInputError(`${field}.kind`, `must be one of ${ERROR_KINDS.join(', ')}`);
    }
    kind = value.kind as ErrorKind;
  } else if (status !== undefined) {
    kind = KIND_BY_STATUS[status] ?? (status >= 500 ? 'server' : 'bad_request');
  } else {
    throw new SimulatorInputError(`${field}.kind`, 'is required (or give a status)');
  }
  const knob: ErrorKnob = { kind };
  if (status !== undefined) knob.status = status;
  if (value.retryAfterSeconds !== undefined)
    knob.retryAfterSeconds = nonNegativeNumber(value.retryAfterSeconds, `${field}.retryAfterSeconds`);
  if (value.message !== undefined) {
    if (typeof value.message !== 'string' || value.message === '')
      throw new SimulatorInputError(`${field}.message`, 'must be a non-empty string');
    knob.message = value.message;
  }
  return knob;
}

function parseToolCallKnob(value: unknown, field: string): boolean | ToolCallKnob {
  if (typeof value === 'boolean') return value;
  if (!isRecord(value)) throw new SimulatorInputError(field, 'must be a boolean or { name?, arguments? }');
  const knob: ToolCallKnob = {};
  for (const key of Object.keys(value)) {
    if (key !== 'name' && key !== 'arguments')
      throw new SimulatorInputError(`${field}.${key}`, 'is not a known toolCall field');
  }
  if (value.name !== undefined) {
    if (typeof value.name !== 'string' || value.name === '')
      throw new SimulatorInputError(`${field}.name`, 'must be a non-empty string');
    knob.name = value.name;
  }
  if (value.arguments !== undefined) {
    if (!isRecord(value.arguments)) throw new SimulatorInputError(`${field}.arguments`, 'must be an object');
    knob.arguments = value.arguments;
  }
  return knob;
}

function nonNegativeNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new SimulatorInputError(field, 'must be a non-negative number');
  }
  return value;
}

function positiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new SimulatorInputError(field, 'must be a positive integer');
  }
  return value;
}
