import { createSeededRandom } from '../../lib/internal'

/**
 * A deterministic generator, uniform in [0, 1), for tests whose inputs are random but whose
 * failures must replay from the seed: lib's own seeded source (the synthetic market's), so there
 * is one generator in the project, not a copy per test.
 */
export function prng(seed: number): () => number {
  const random = createSeededRandom(seed)
  return () => random.float()
}
