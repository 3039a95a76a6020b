/**
 * A small seeded PRNG shared by the synthetic market, the replay exchange's fault decisions and
 * the cost model's simulations: the same seed gives the same sequence on every platform, which
 * Math.random cannot promise.
 */

/** A small seeded PRNG (xoshiro128**, seeded through splitmix32). */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  float(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** Standard normal. */
  normal(): number
  /** Exponential with the given rate. */
  exponential(rate: number): number
}

/** Creates a SeededRandom; the same seed gives the same sequence on every platform. */
export function createSeededRandom(seed: number): SeededRandom {
  let sm = (Math.floor(seed) ^ Math.floor(seed / 0x100000000)) | 0
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) | 0
    let z = sm
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) | 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  if ((a | b | c | d) === 0) a = 1
  const u32 = (): number => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return r
  }
  let spare: number | undefined
  const float = (): number => u32() / 0x100000000
  return {
    float,
    int: (n) => Math.floor(float() * n),
    normal() {
      if (spare !== undefined) {
        const s = spare
        spare = undefined
        return s
      }
      const u = 1 - float()
      const v = float()
      const r = Math.sqrt(-2 * Math.log(u))
      spare = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
    exponential: (rate) => -Math.log(1 - float()) / rate,
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
