import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  appendFiles,
  createManifestReader,
  createRestCatalogClient,
  createWarehouseFileIO,
  currentSnapshot,
  ensureTable,
  mergeOffsets,
  offsetsSummary,
  planScan,
  tableOffsets,
  tradesTable,
  type TableHandle,
} from '../../lib/internal'
import { stackConfig, uniqueName } from './helpers'
import { recordReliability } from './oracles'
import type { ReliabilityEntry } from '../../stack/lib/reliability-report'
import { dropLake } from './lake-helpers'

/**
 * A proxy in front of the real REST catalog that misbehaves on commits the way a real one can:
 * 500 after applying the commit (the answer is lost), 502 without applying it, 409 once.
 */
const config = stackConfig()
const io = createWarehouseFileIO(config)
const namespace = uniqueName('faults', '_')
let mode: 'pass' | 'apply-then-500' | 'apply-expire-then-500' | 'refuse-502' | 'conflict-409' = 'pass'
let faultsLeft = 0
let commitsSeen = 0
let server: http.Server
let proxyUrl = ''

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks)
      const isCommit = req.method === 'POST' && /\/tables\/[^/]+$/.test(req.url ?? '')
      if (isCommit) commitsSeen++
      const fault = isCommit && faultsLeft > 0 ? mode : 'pass'
      if (fault !== 'pass') faultsLeft--
      if (fault === 'refuse-502') {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad gateway (injected)', type: 'BadGateway', code: 502 } }))
        return
      }
      if (fault === 'conflict-409') {
        res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'injected conflict', type: 'CommitFailedException', code: 409 } }))
        return
      }
      const upstream = await fetch(`${config.catalog.url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body })
      const text = await upstream.text()
      if (fault === 'apply-expire-then-500' && upstream.ok) {
        // Another commit lands on top (carrying the offsets on, as the sink's do), and maintenance
        // expires the snapshot just added, all before the client reloads.
        const added = /"add-snapshot"[^{]*\{"snapshot-id":(\d+)/.exec(body.toString())![1]!
        const direct: TableHandle = { catalog: createRestCatalogClient({ url: config.catalog.url }), io, namespace: [namespace], name: 'trades' }
        await appendFiles(direct, [], (base) => ({ ...offsetsSummary(faultTopic, tableOffsets(base, faultTopic), { carry: currentSnapshot(base)?.summary }), 'k2.test': 'on-top' }))
        const { metadata } = await direct.catalog.loadTable([namespace], 'trades')
        await direct.catalog.commitTable([namespace], 'trades', [{ type: 'assert-table-uuid', uuid: metadata['table-uuid'] }], [{ action: 'remove-snapshots', 'snapshot-ids': [BigInt(added)] }])
      }
      if (fault === 'apply-then-500' || fault === 'apply-expire-then-500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'injected after commit', type: 'CommitStateUnknownException', code: 500 } }))
        return
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(text)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const direct = createRestCatalogClient({ url: config.catalog.url })
  await direct.ensureNamespace([namespace])
  await ensureTable(direct, namespace, 'trades', tradesTable)
})

afterAll(async () => {
  await dropLake(createRestCatalogClient({ url: config.catalog.url }), namespace, ['trades'])
  server.close()
  io.close()
})

const faultTopic = 'faults-topic'
const fast = { maxConflicts: 5, backoff: { attempts: 0, initialDelayMs: 10, maxDelayMs: 50, factor: 2, jitter: 0 } }

async function commitOnce(label: string): Promise<{ conflicts: number; retries: number; recovered: boolean }> {
  const table: TableHandle = { catalog: createRestCatalogClient({ url: proxyUrl }), io, namespace: [namespace], name: 'trades', manifests: createManifestReader(io) }
  const r = await appendFiles(table, [], { 'k2.test': label }, { policy: fast })
  return { conflicts: r.conflicts, retries: r.retries, recovered: r.recovered }
}

async function snapshotsLabelled(label: string): Promise<number> {
  const { metadata } = await createRestCatalogClient({ url: config.catalog.url }).loadTable([namespace], 'trades')
  await planScan({ metadata, io })
  return metadata.snapshots.filter((s) => s.summary['k2.test'] === label).length
}

/**
 * The reliability record: each fault, and how many times its commit landed in the table (read
 * back from the catalog directly, not through the proxy): once is right, 0 is lost, 2 duplicated.
 */
const faults: ReliabilityEntry[] = []
const outcome = { checked: 0, lost: 0, duplicated: 0 }
function note(what: string, landed: number): void {
  faults.push({ kind: 'fault', target: 'iceberg-rest', what, count: 1 })
  outcome.checked++
  if (landed === 0) outcome.lost++
  if (landed > 1) outcome.duplicated += landed - 1
  recordReliability('catalog-faults', faults, 'commits landed, read from the catalog directly: each exactly once', outcome)
}

describe('commits through a misbehaving catalog', () => {
  it('a 500 after the commit landed: reloads, finds its snapshot, does not commit twice', async () => {
    mode = 'apply-then-500'
    faultsLeft = 1
    const before = commitsSeen
    expect(await commitOnce('lost-answer')).toMatchObject({ retries: 1, recovered: true })
    note('500 after the commit was applied', await snapshotsLabelled('lost-answer'))
    expect(commitsSeen - before).toBe(1)
    expect(await snapshotsLabelled('lost-answer')).toBe(1)
  })

  it('a 502 before anything was applied: reloads, does not find its snapshot, commits again once', async () => {
    mode = 'refuse-502'
    faultsLeft = 2
    const before = commitsSeen
    expect(await commitOnce('refused')).toMatchObject({ retries: 2, recovered: false })
    note('502 twice before anything was applied', await snapshotsLabelled('refused'))
    expect(commitsSeen - before).toBe(3)
    expect(await snapshotsLabelled('refused')).toBe(1)
  })

  it('a 500 after the commit landed and its snapshot was expired: the table holds its offsets, so it counts as landed and is not committed twice', async () => {
    const direct = createRestCatalogClient({ url: config.catalog.url })
    const start = tableOffsets((await direct.loadTable([namespace], 'trades')).metadata, faultTopic).get(0) ?? 0n
    const end = new Map([[0, start + 100n]])
    const table: TableHandle = { catalog: createRestCatalogClient({ url: proxyUrl }), io, namespace: [namespace], name: 'trades', manifests: createManifestReader(io) }
    mode = 'apply-expire-then-500'
    faultsLeft = 1
    const before = commitsSeen
    const r = await appendFiles(table, [], (base) => ({ ...offsetsSummary(faultTopic, mergeOffsets(tableOffsets(base, faultTopic), end), { carry: currentSnapshot(base)?.summary }), 'k2.test': 'expired' }), {
      policy: fast,
      landed: (base) => tableOffsets(base, faultTopic).get(0) === end.get(0),
    })
    expect(r).toMatchObject({ retries: 1, recovered: true })
    // Its snapshot is gone by design: the commits that reached the catalog are what landed.
    note('500 after the commit was applied and its snapshot expired', commitsSeen - before)
    expect(commitsSeen - before).toBe(1)
    const { metadata } = await direct.loadTable([namespace], 'trades')
    expect(metadata.snapshots.some((s) => s['snapshot-id'] === r.snapshotId)).toBe(false) // expired, as staged
    expect(tableOffsets(metadata, faultTopic).get(0)).toBe(end.get(0))
    expect(await snapshotsLabelled('expired')).toBe(0)
  })

  it('a 409: reloads, rebases and commits', async () => {
    mode = 'conflict-409'
    faultsLeft = 1
    expect(await commitOnce('conflicted')).toMatchObject({ conflicts: 1, retries: 0 })
    note('409 conflict', await snapshotsLabelled('conflicted'))
    expect(await snapshotsLabelled('conflicted')).toBe(1)
  })
})
