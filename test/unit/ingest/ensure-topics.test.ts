import type { Admin } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { ensureTopics } from '../../../lib/internal'

/** An admin whose topics another process creates first: createTopics answers false, and leaders come after `leaderAfter` metadata reads. */
function racingAdmin(leaderAfter: number): { admin: Admin; reads: () => number } {
  let reads = 0
  const admin = {
    listTopics: async () => [],
    createTopics: async () => false,
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      reads++
      return { topics: topics.map((name) => ({ name, partitions: [0, 1, 2].map((partitionId) => ({ partitionId, leader: reads > leaderAfter ? 1 : -1, partitionErrorCode: 0, replicas: [1], isr: [1] })) })) }
    },
  } as unknown as Admin
  return { admin, reads: () => reads }
}

describe('ensureTopics', () => {
  it('waits for leaders when another process created the topics a moment before (two shards starting together)', async () => {
    const { admin, reads } = racingAdmin(3)
    expect(await ensureTopics(admin, [{ topic: 't', partitions: 3 }])).toEqual(['t'])
    expect(reads()).toBe(4)
  })
})
