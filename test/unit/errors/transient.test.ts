import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSNonRetriableError } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { ErrorCode, WorkbenchError, isTransientError } from '../../../lib/internal'

// kafkajs builds its protocol errors from the broker's error codes; these are the codes' own fields.
const protocolError = (type: string, retriable: boolean): Error =>
  new KafkaJSProtocolError({ type, code: 0, retriable, message: type } as unknown as string)

describe('isTransientError: what a worker retries instead of exiting', () => {
  it('retries what a broker restart throws: connection errors, NOT_LEADER, retries spent on them', () => {
    expect(isTransientError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBe(true)
    const notLeader = protocolError('NOT_LEADER_FOR_PARTITION', true)
    expect(isTransientError(notLeader)).toBe(true)
    expect(isTransientError(new KafkaJSNumberOfRetriesExceeded(notLeader, { retryCount: 5, retryTime: 1000 }))).toBe(true)
    expect(isTransientError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(true)
  })

  it('does not retry a fenced producer, a refused request or a plain bug', () => {
    expect(isTransientError(protocolError('PRODUCER_FENCED', false))).toBe(false)
    expect(isTransientError(new KafkaJSNonRetriableError('topic authorization failed'))).toBe(false)
    expect(isTransientError(new TypeError('x is not a function'))).toBe(false)
    expect(isTransientError(undefined)).toBe(false)
  })

  it("takes a WorkbenchError's own flag, wherever it sits in the chain", () => {
    expect(isTransientError(new WorkbenchError(ErrorCode.ServiceUnavailable, 'down', true))).toBe(true)
    expect(isTransientError(new WorkbenchError(ErrorCode.ConfigInvalid, 'bad', false))).toBe(false)
    expect(isTransientError(new Error('the run ended', { cause: new WorkbenchError(ErrorCode.ServiceUnavailable, 'down', true) }))).toBe(true)
  })
})
