/**
 * Whether an error is worth a retry: a WorkbenchError says so itself (its `retryable` flag); an
 * error from a client library is classified by what it is. A broker restart surfaces in kafkajs
 * as connection errors, protocol errors it marks `retriable` (NOT_LEADER_FOR_PARTITION, …), and,
 * once its own retries are spent, a KafkaJSNumberOfRetriesExceeded wrapping the last of them.
 */
import { isWorkbenchError } from './workbench-error'

/** kafkajs error classes that mean "the cluster is not reachable or not settled yet". */
const transientKafkaErrors = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSTopicMetadataNotLoaded',
])
const transientSocketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'])

export function isTransientError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (isWorkbenchError(e)) return e.retryable
    const x = e as { retriable?: boolean; name?: string; code?: string; cause?: unknown; originalError?: unknown }
    if (x.retriable === true || transientKafkaErrors.has(x.name ?? '') || transientSocketCodes.has(x.code ?? '')) return true
    e = x.originalError ?? x.cause
  }
  return false
}
