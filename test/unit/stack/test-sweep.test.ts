import { describe, expect, it } from 'vitest'
import { leftBehind } from '../../../stack/lib/test-sweep'

describe('what a test run left behind', () => {
  it("names only the tests' own topics and namespaces, made during the run", () => {
    const before = { topics: ['market.crypto.trades.binance', 'k2-test-trades-00000001'], namespaces: ['market', 'k2_test_old_00000001'] }
    const after = {
      topics: [...before.topics, 'k2-test-cmd-trades-2e6ba247', 'k2.nb_degrade_1796431.trades', 'my-own-topic'],
      namespaces: [...before.namespaces, 'k2_test_cmd_a148a048', 'nb_degrade_1796431', 'research'],
    }
    expect(leftBehind(before, after)).toEqual({ topics: ['k2-test-cmd-trades-2e6ba247', 'k2.nb_degrade_1796431.trades'], namespaces: ['k2_test_cmd_a148a048', 'nb_degrade_1796431'] })
  })
})
