/**
 * Kafka Connect's REST API, the few calls the workbench makes: create or update a connector,
 * read its state, delete it. IO adapter over lib/http.
 */
import { ErrorCode, WorkbenchError, isWorkbenchError } from '../errors/index'
import { requestJson } from '../http/index'

export interface ConnectorStatus {
  readonly name: string
  readonly connector: { readonly state: string; readonly trace?: string }
  readonly tasks: ReadonlyArray<{ readonly id: number; readonly state: string; readonly trace?: string }>
}

export interface ConnectClient {
  /** Creates the connector, or replaces its config (PUT is idempotent). */
  putConnector(name: string, config: Record<string, string>): Promise<void>
  status(name: string): Promise<ConnectorStatus>
  /** Deletes it; one that does not exist is fine. */
  deleteConnector(name: string): Promise<void>
  /** Throws with the task's trace when the connector or a task has FAILED; true once every task is RUNNING. */
  running(name: string): Promise<boolean>
}

export function createConnectClient(url: string): ConnectClient {
  const at = (p: string): string => `${url.replace(/\/$/, '')}${p}`
  const client: ConnectClient = {
    async putConnector(name, config) {
      await requestJson(at(`/connectors/${encodeURIComponent(name)}/config`), { method: 'PUT', body: config, timeoutMs: 30_000 })
    },
    status: (name) => requestJson<ConnectorStatus>(at(`/connectors/${encodeURIComponent(name)}/status`), { timeoutMs: 10_000 }),
    async deleteConnector(name) {
      try {
        await requestJson(at(`/connectors/${encodeURIComponent(name)}`), { method: 'DELETE', timeoutMs: 30_000 })
      } catch (err) {
        if (!isWorkbenchError(err, ErrorCode.NotFound)) throw err
      }
    },
    async running(name) {
      const s = await client.status(name)
      const failed = [s.connector, ...s.tasks].find((t) => t.state === 'FAILED')
      if (failed) throw new WorkbenchError(ErrorCode.ServiceUnavailable, `connector ${name} failed: ${(failed.trace ?? '').split('\n').slice(0, 3).join(' ')}`)
      return s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING')
    },
  }
  return client
}
