import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as path from 'node:path'
import * as vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { installed } from '../../../lib/internal'

/** The CommonJS require kafkajs itself uses (its module cache is what the patch fills). */
const load = createRequire(__filename)

describe('kafkajs partition grouping patch', () => {
  const file = path.join(path.dirname(load.resolve('kafkajs')), 'src', 'producer', 'groupMessagesPerPartition.js')

  it('is what kafkajs loads when lib is imported first', () => {
    expect(installed).toBe(true)
    expect((load(file) as { name: string }).name).toBe('groupMessagesPerPartition')
  })

  it('groups exactly like kafkajs 2.2.4 does, in linear time', () => {
    // kafkajs's own version, loaded from its file apart from the module cache.
    const original = { exports: undefined as unknown }
    vm.runInNewContext(fs.readFileSync(file, 'utf8'), { module: original })
    const ours = load(file) as (a: unknown) => unknown
    const messages = Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 37}`, value: `${i}` }))
    const args = { topic: 't', partitionMetadata: [1, 2, 3, 4, 5, 6], messages, partitioner: ({ message }: { message: { key: string } }) => Number(message.key.slice(1)) % 6 }
    expect(ours(args)).toEqual((original.exports as (a: unknown) => unknown)(args))
    expect(ours({ ...args, partitionMetadata: [] })).toEqual({})
  })
})
