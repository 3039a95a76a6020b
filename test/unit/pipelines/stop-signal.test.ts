import { describe, expect, it } from 'vitest'
import { ErrorCode, WorkbenchError } from '../../../lib/internal'
import { stoppedWhileStarting } from '../../../pipelines/stop-signal'

describe('a stop that cuts a wait short', () => {
  const aborted = new WorkbenchError(ErrorCode.Aborted, 'aborted')
  const stopped = (): AbortSignal => {
    const c = new AbortController()
    c.abort('SIGTERM')
    return c.signal
  }

  it('is a clean stop once the stop has fired, however deep the abort sits among the causes', () => {
    expect(stoppedWhileStarting(aborted, stopped())).toBe(true)
    expect(stoppedWhileStarting(new Error('reading the checkpoint failed', { cause: aborted }), stopped())).toBe(true)
  })

  it('is a failure when no stop came, or when something other than an abort failed', () => {
    expect(stoppedWhileStarting(aborted, new AbortController().signal)).toBe(false)
    expect(stoppedWhileStarting(new WorkbenchError(ErrorCode.ServiceUnavailable, 'broker down', true), stopped())).toBe(false)
    expect(stoppedWhileStarting('aborted', stopped())).toBe(false)
  })
})
