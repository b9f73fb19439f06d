import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthMeta, nextPublishedHealth, type PublishedHealth, SCORE_MIN_INTERVAL_MS } from './published-health.js';

const shown = (score: number, at = 0, status: PublishedHealth['status'] = 'passing'): PublishedHealth => ({
  status,
  score,
  at,
});
const later = SCORE_MIN_INTERVAL_MS;

describe('nextPublishedHealth', () => {
  it('publishes the first probe of an instance at once, rounded to one decimal', () => {
    assert.deepEqual(nextPublishedHealth(undefined, 'passing', 0.964, 5), shown(1, 5));
    assert.deepEqual(nextPublishedHealth(undefined, 'warning', 0.44, 5), shown(0.4, 5, 'warning'));
  });

  it('publishes a status change at once, however recent the last change', () => {
    assert.deepEqual(nextPublishedHealth(shown(0.9, 100), 'critical', 0, 101), shown(0, 101, 'critical'));
    assert.deepEqual(nextPublishedHealth(shown(0, 100, 'critical'), 'passing', 0.72, 101), shown(0.7, 101));
  });

  it('keeps the shown value while the score stays within a step of it', () => {
    const current = shown(0.9);
    for (const score of [0.81, 0.85, 0.9, 0.95, 0.99])
      assert.equal(nextPublishedHealth(current, 'passing', score, later), current);
  });

  it('does not flip on a score wobbling around a rounding boundary', () => {
    let current = nextPublishedHealth(undefined, 'passing', 0.851, 0);
    const changes = [0.849, 0.851, 0.848, 0.852, 0.849].filter((score, round) => {
      const next = nextPublishedHealth(current, 'passing', score, (round + 1) * later);
      const changed = next !== current;
      current = next;
      return changed;
    });
    assert.deepEqual(changes, []);
    assert.equal(current.score, 0.9);
  });

  it('publishes a whole step of score change, but not sooner than the minimum interval', () => {
    const current = shown(0.9, 1_000);
    assert.equal(nextPublishedHealth(current, 'passing', 0.7, 1_000 + later - 1), current, 'too soon');
    assert.deepEqual(nextPublishedHealth(current, 'passing', 0.7, 1_000 + later), shown(0.7, 1_000 + later));
    assert.deepEqual(
      nextPublishedHealth(shown(0.9), 'passing', 1, later),
      shown(1, later),
      '1.0 - 0.9 is a whole step',
    );
  });

  it('bounds the writes of a jittery instance to one per interval', () => {
    let current: PublishedHealth | undefined;
    let writes = 0;
    // A score swinging between 0.3 and 0.9 on every probe of a 10-minute stretch at one probe a second.
    for (let second = 0; second < 600; second += 1) {
      const next = nextPublishedHealth(current, 'passing', second % 2 ? 0.3 : 0.9, second * 1_000);
      if (next !== current) writes += 1;
      current = next;
    }
    assert.equal(writes, 600_000 / SCORE_MIN_INTERVAL_MS);
  });
});

describe('healthMeta', () => {
  it('shows the status and the score with one decimal, and nothing before the first probe', () => {
    assert.deepEqual(healthMeta(shown(1)), { health_status: 'passing', health_score: '1.0' });
    assert.deepEqual(healthMeta(shown(0, 0, 'critical')), { health_status: 'critical', health_score: '0.0' });
    assert.deepEqual(healthMeta(undefined), {});
  });
});
