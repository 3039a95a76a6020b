/** Random and mutated Binance frames for fuzz tests (deterministic from a seed). */
import { prng } from './prng'

export { prng }

export const validFrames = [
  JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', E: 1700000000100, s: 'BTCUSDT', t: 77, p: '37012.50', q: '0.0015', T: 1700000000099, m: false, M: true } }),
  JSON.stringify({ stream: 'btcusdt@bookTicker', data: { u: 9, s: 'BTCUSDT', b: '37012.40', B: '1.5', a: '37012.50', A: '2' } }),
]
const junkValues: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -0, '', ' ', 'NaN', '-5', '1e3', '0', 'abc', [], {}, [1], { a: 1 }, 'x'.repeat(3000), 2 ** 53 + 1]

export function mutate(frame: string, random: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  switch (Math.floor(random() * 6)) {
    case 0: // truncate
      return frame.slice(0, Math.floor(random() * frame.length))
    case 1: {
      // flip a character
      const i = Math.floor(random() * frame.length)
      return frame.slice(0, i) + String.fromCharCode(32 + Math.floor(random() * 95)) + frame.slice(i + 1)
    }
    case 2: {
      // replace a field with junk
      const obj = JSON.parse(frame) as { data: Record<string, unknown> }
      obj.data[pick(Object.keys(obj.data))] = pick(junkValues)
      return JSON.stringify(obj)
    }
    case 3: {
      // delete a field
      const obj = JSON.parse(frame) as { data: Record<string, unknown> }
      delete obj.data[pick(Object.keys(obj.data))]
      return JSON.stringify(obj)
    }
    case 4: // random bytes
      return Array.from({ length: Math.floor(random() * 200) }, () => String.fromCharCode(Math.floor(random() * 65536))).join('')
    default: // junk at top level
      return JSON.stringify(pick(junkValues))
  }
}
