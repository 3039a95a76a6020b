import type { WorkbenchConfig } from '../config/index'
import { requireSecret } from '../config/index'
import { createFileIO, type FileIO } from '../iceberg/file-io'
import { createS3Store } from '../iceberg/store-s3'
import type { ObjectStore } from '../iceberg/file-io'

/** The warehouse bucket of the configured object store (credentials from the config's secrets). */
export function createWarehouseStore(config: WorkbenchConfig): ObjectStore {
  const { s3 } = config
  return createS3Store({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    accessKeyId: requireSecret(s3.accessKeyId, 'K2_S3_ACCESS_KEY'),
    secretAccessKey: requireSecret(s3.secretAccessKey, 'K2_S3_SECRET_KEY'),
  })
}

/**
 * A FileIO for the configured warehouse: `s3://<bucket>/…` (and `s3a://`, as Spark writes it)
 * onto the warehouse bucket.
 */
export function createWarehouseFileIO(config: WorkbenchConfig): FileIO {
  const store = createWarehouseStore(config)
  return createFileIO([
    { prefix: `s3://${config.s3.bucket}/`, store },
    { prefix: `s3a://${config.s3.bucket}/`, store },
  ])
}
