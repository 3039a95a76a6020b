/**
 * Every error the workbench raises on purpose: a machine-readable `code`, a message that says
 * what was expected, what came and what to do, and an explicit `retryable` flag (default false)
 * that retry loops read instead of guessing from the message.
 */
export const ErrorCode = {
  ConfigInvalid: 'CONFIG_INVALID',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  ServiceStartFailed: 'SERVICE_START_FAILED',
  ProvisionFailed: 'PROVISION_FAILED',
  RequirementMissing: 'REQUIREMENT_MISSING',
  HttpStatus: 'HTTP_STATUS',
  Timeout: 'TIMEOUT',
  Aborted: 'ABORTED',
  SchemaIncompatible: 'SCHEMA_INCOMPATIBLE',
  NotFound: 'NOT_FOUND',
  Conflict: 'CONFLICT',
  /** A commit got no answer or a 5xx: it may or may not have landed; reload and look before retrying. */
  CommitStateUnknown: 'COMMIT_STATE_UNKNOWN',
  /** One record cannot be encoded or decoded (a value outside its Avro type, a bad frame): dead-letter it. */
  RecordInvalid: 'RECORD_INVALID',
  /** A query the caller asked for cannot run as given (bad SQL, parameter, range or limit): fix the request. */
  QueryInvalid: 'QUERY_INVALID',
  /** A chart or table cannot be shown: bad chart input, or no notebook kernel to show it in. */
  DisplayFailed: 'DISPLAY_FAILED',
  /** A helper process the workbench ran (a benchmark peer's script) failed; its stderr is in the message. */
  CommandFailed: 'COMMAND_FAILED',
  /** A promise the workbench makes about its own results did not hold (the overload demo's invariants, a lake with a trade twice): the run fails and says which. */
  CheckFailed: 'CHECK_FAILED',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export class WorkbenchError extends Error {
  override readonly name = 'WorkbenchError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable = false,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** True when `err` is a WorkbenchError, optionally of one of the given codes. */
export function isWorkbenchError(err: unknown, ...codes: ErrorCode[]): err is WorkbenchError {
  return err instanceof WorkbenchError && (codes.length === 0 || codes.includes(err.code))
}

/** Message of any thrown value, without its stack: what a user-facing line prints. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause
  return cause instanceof Error && !err.message.includes(cause.message) ? `${err.message}: ${cause.message}` : err.message
}
