export { ErrorCode, WorkbenchError, isWorkbenchError, errorMessage } from './workbench-error'
export { retry, backoffDelay, sleep, settleWithin, pollUntil, defaultRetryPolicy, restartPolicy } from './retry'
export type { RetryPolicy, PollOptions } from './retry'
export { isTransientError } from './transient'
