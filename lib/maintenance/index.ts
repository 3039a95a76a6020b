export { planCompaction, snapshotsToExpire } from './compaction-plan'
export type { CompactionCandidate, CompactionGroup, CompactionPolicy } from './compaction-plan'
export { compactTable, expireSnapshots, removeOrphanFiles, runMaintenance, type OrphanSweep } from './maintenance-iceberg'
export type { CompactionOptions, CompactionReport, MaintenanceOptions, MaintenanceDeps } from './maintenance-iceberg'
