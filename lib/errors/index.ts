export { ErrorCode, WorkbenchError, isWorkbenchError, errorMessage } from './workbench-error'
export { retry, backoffDelay, sleep, settleWithin, defaultRetryPolicy, restartPolicy } from './retry'
export type { RetryPolicy } from './retry'
export { isTransientError } from './transient'
