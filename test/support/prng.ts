/**
 * mulberry32: a small deterministic generator, uniform in [0, 1), for tests whose inputs are
 * random but whose failures must replay from the seed. One copy for every test (there were six).
 */
export function prng(seed: number): () => number {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
