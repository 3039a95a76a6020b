export type {
  PrimitiveType,
  StructType,
  ListType,
  MapType,
  IcebergType,
  NestedField,
  Schema,
  Transform,
  PartitionField,
  PartitionSpec,
  SortField,
  SortOrder,
  SnapshotOperation,
  SnapshotSummary,
  Snapshot,
  SnapshotRef,
  TableMetadata,
  PartitionValues,
  PartitionValue,
  DataFile,
  ManifestEntry,
  PartitionFieldSummary,
  ManifestFile,
} from './spec-types'
export { FileContent, EntryStatus, ManifestContent } from './spec-types'
export { encodeSingleValue, decodeSingleValue, compareValues, parsePrimitiveType } from './single-value'
export type { SingleValue, ParsedPrimitiveType } from './single-value'
export { applyTransform, parseTransform, transformResultType, murmur3Hash32, bucketHash, projectInclusive } from './transforms'
export type { ParsedTransform, PredicateOp, PartitionPredicate } from './transforms'
export { parseTableMetadata, currentSnapshot, snapshotById, snapshotAsOf, ancestorsOf, schemaById, specById, fieldsById, partitionType } from './table-metadata'
export type { PartitionFieldType } from './table-metadata'
export { encodeManifest, decodeManifest, encodeManifestList, decodeManifestList, inheritEntry, manifestPartitionSummaries } from './manifest-avro'
export { createManifestReader, writeManifest } from './manifest-io'
export type { ManifestReader, LiveEntry } from './manifest-io'
export { createRestCatalogClient, encodeNamespace } from './catalog-rest'
export type { RestCatalogClient, RestCatalogOptions, LoadTableOptions, LoadedTable, IcebergSchema, CreateTableRequest, TableRequirement, TableUpdate } from './catalog-rest'
export { createFileIO } from './file-io'
export type { FileIO, FileIORoute } from './file-io'
export { createS3Store, createS3Client, ensureBucket } from './store-s3'
export type { S3StoreOptions } from './store-s3'
export type { ObjectStore, StoredObject } from './file-io'
export { createLocalStore } from './store-local'
export { tradesTable, quotesTable, symbolBuckets, defaultRowGroupRows } from './table-design'
export type { TableDesign } from './table-design'
export { createParquetDataWriter, partitionPath } from './writer-parquet-duckdb'
export type { ParquetDataWriter, ParquetWriterOptions, WrittenDataFile } from './writer-parquet-duckdb'
export { appendFiles, replaceFiles, rewriteManifests, newSnapshotId, defaultCommitPolicy, commitNeverLanded } from './table-commit'
export { defaultManifestRewrite, groupForRewrite, manifestsToMerge, type ManifestRewriteOptions } from './manifest-rewrite'
export type { TableHandle, CommitPolicy, CommitResult, CommitOptions, SummaryProperties } from './table-commit'
export { bindFilter, manifestMayMatch, fileMayMatch, eq, lt, lte, gt, gte, isIn, isNull, notNull, between, allOf, anyOf } from './scan-filter'
export type { ScanFilter, ColumnPredicate, FilterOp, FilterValue, BoundFilter, BoundPredicate } from './scan-filter'
export { planScan, readMetadataFile, columnNamesById } from './table-scan'
export type { TableScanDeps, ScanOptions, ScanFile, ScanStats, ScanPlan } from './table-scan'
export { duckdbType, fieldIdsClause, readParquetByFieldId, readLakeFilesSql, stagedColumn, quoteIdent, sqlString } from './duckdb-sql'
export type { LakeFile } from './duckdb-sql'
export type { StagedColumn } from './duckdb-sql'
