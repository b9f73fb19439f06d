/**
 * A small seeded pseudo-random generator (mulberry32). Where a run must repeat exactly — the
 * simulator failing the same requests for the same seed, statistical specs — Math.random cannot
 * promise that. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = Math.floor(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
