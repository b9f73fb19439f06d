/** A failed probe, remembered so the check output can still name it after the instance recovers. */
export interface ProbeFailure {
  at: number;
  /** Already redacted (see the prober): it goes to Consul as is. */
  error: string;
}

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  consecutiveFailures: number;
  error?: string;
}

/**
 * The probe's half of a check output. A passing instance that failed recently says what failed and
 * when, for as long as `rememberMs` (the span of the score's probe window): an operator looking at
 * a lowered score or a recent flap sees why without digging through logs.
 */
export function probeOutput(
  result: ProbeResult,
  lastFailure: ProbeFailure | undefined,
  now: number,
  rememberMs: number,
) {
  const latency = Math.round(result.latencyMs);
  if (!result.ok) return `probe failed ${result.consecutiveFailures}x in a row after ${latency} ms: ${result.error}`;
  const recent = lastFailure && now - lastFailure.at <= rememberMs;
  return recent
    ? `probe ok in ${latency} ms; last failure at ${isoSeconds(lastFailure.at)}: ${lastFailure.error}`
    : `probe ok in ${latency} ms`;
}

/**
 * What the Consul check of an instance says: its probe output, led by the one admin state that
 * changes what the gateway does with a healthy instance, so the UI does not show "passing" for an
 * instance that gets no traffic without saying why.
 */
export function checkOutput(draining: boolean, probeText: string): string {
  const lead = 'draining: no new requests are routed to this instance (undrain it to resume)';
  if (!draining) return probeText;
  return probeText ? `${lead}; ${probeText}` : lead;
}

function isoSeconds(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19)}Z`;
}
