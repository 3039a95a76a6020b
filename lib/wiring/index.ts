/**
 * Wiring: the typed config (lib/config) turned into live clients — the warehouse's object store
 * and FileIO, the query engine on the configured catalog, broker and registry. The layer above
 * config; the libraries below take plain options and never read the config themselves.
 */
export { createWarehouseStore, createWarehouseFileIO } from './warehouse-io'
export { openQueryEngine } from './open-query-engine'
export type { OpenQueryEngineOptions } from './open-query-engine'
