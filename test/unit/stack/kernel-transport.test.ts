import { describe, expect, it } from 'vitest'
import { kernelTransportFailure } from '../../../stack/lib/notebook-runner'

describe("a notebook failure that is the kernel transport's, not the notebook's", () => {
  it("is zeromq refusing tslab's message (EAGAIN, EBUSY), and only that", () => {
    const eagain = { message: 'UnhandledPromiseRejection: Error: Operation was not possible or timed out\n    at Object.next (/work/main/node_modules/zeromq/lib/index.js:49:44)\n    at /work/main/node_modules/tslab/dist/jupyter.js:503:84 {\n  errno: 11,\n  code: \'EAGAIN\'\n}' }
    expect(kernelTransportFailure([eagain])).toBe(true)
    expect(kernelTransportFailure([eagain, { message: "TypeError: Cannot read properties of undefined (reading 'rows')" }])).toBe(false)
    expect(kernelTransportFailure([{ message: 'Error: connect EAGAIN 127.0.0.1:9092' }])).toBe(false)
    expect(kernelTransportFailure([])).toBe(false)
    // As JupyterLab renders the same rejection, without the stack.
    const shown = { message: "UnhandledPromiseRejection: [Error: Operation was not possible or timed out] {\n  errno: 11,\n  code: 'EAGAIN'\n}" }
    expect(kernelTransportFailure([shown])).toBe(true)
    expect(kernelTransportFailure([{ message: "UnhandledPromiseRejection: [Error: connect EAGAIN 127.0.0.1:9092] { errno: 11, code: 'EAGAIN' }" }])).toBe(false)
  })

  it('is a frame on the shell socket that is no Jupyter message (another kernel on the same port)', () => {
    const stray = { message: 'UnhandledPromiseRejection: Error: message missing delimiter |     at ZmqMessage.fromRaw (/work/main/node_modules/tslab/dist/jupyter.js:88:19) |     at ZmqServer.handleShellMessage (/work/main/node_modules/tslab/dist/jupyter.js:342:32)' }
    expect(kernelTransportFailure([stray, stray])).toBe(true)
    expect(kernelTransportFailure([{ message: 'Error: message missing delimiter' }])).toBe(false)
  })
})
