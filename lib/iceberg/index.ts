export { createRestCatalogClient, encodeNamespace } from './catalog-rest'
export type { RestCatalogClient, RestCatalogOptions, LoadedTable, TableMetadata, IcebergSchema, CreateTableRequest } from './catalog-rest'
export { createS3Store, createS3Client, ensureBucket, createWarehouseStore } from './store-s3'
export type { ObjectStore, S3StoreOptions } from './store-s3'
