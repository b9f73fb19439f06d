import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkOutput, probeOutput } from './check-output.js';

const failure = { at: Date.UTC(2026, 0, 2, 3, 4, 5, 678), error: 'server_error (HTTP 500): openai: boom' };
const remember = 8_000;

describe('probeOutput', () => {
  it('gives the latency of a good probe', () => {
    assert.equal(
      probeOutput({ ok: true, latencyMs: 12.4, consecutiveFailures: 0 }, undefined, 0, remember),
      'probe ok in 12 ms',
    );
  });

  it('gives the streak, the latency and the error of a failed probe', () => {
    assert.equal(
      probeOutput(
        { ok: false, latencyMs: 1000, consecutiveFailures: 3, error: 'network: refused' },
        failure,
        0,
        remember,
      ),
      'probe failed 3x in a row after 1000 ms: network: refused',
    );
  });

  it('names the last failure after a recovery while it is recent, then drops it', () => {
    const ok = { ok: true, latencyMs: 7, consecutiveFailures: 0 };
    assert.equal(
      probeOutput(ok, failure, failure.at + remember, remember),
      'probe ok in 7 ms; last failure at 2026-01-02T03:04:05Z: server_error (HTTP 500): openai: boom',
    );
    assert.equal(probeOutput(ok, failure, failure.at + remember + 1, remember), 'probe ok in 7 ms');
  });
});

describe('checkOutput', () => {
  it('leads with draining, so a passing instance that gets no traffic says why', () => {
    assert.equal(
      checkOutput(true, 'probe ok in 7 ms'),
      'draining: no new requests are routed to this instance (undrain it to resume); probe ok in 7 ms',
    );
    assert.match(checkOutput(true, ''), /^draining: no new requests are routed to this instance/);
  });

  it('is the probe output alone when the instance is not draining', () => {
    assert.equal(checkOutput(false, 'probe ok in 7 ms'), 'probe ok in 7 ms');
  });
});
