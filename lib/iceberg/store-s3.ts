import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { ErrorCode, WorkbenchError } from '../errors/index'
import type { ObjectStore, StoredObject } from './file-io'

export interface S3StoreOptions {
  readonly endpoint: string
  readonly region: string
  readonly bucket: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

/** An S3 client for MinIO-style endpoints: path-style addressing, credentials passed in. */
export function createS3Client(o: Omit<S3StoreOptions, 'bucket'>): S3Client {
  return new S3Client({
    endpoint: o.endpoint,
    region: o.region,
    forcePathStyle: true,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
  })
}

/** Creates the bucket unless it exists. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }))
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    if (status !== 404) throw wrap(err, `checking bucket ${bucket}`)
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }))
    } catch (e) {
      const name = (e as Error).name
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw wrap(e, `creating bucket ${bucket}`)
    }
  }
}

/** An ObjectStore over one S3 bucket. */
export function createS3Store(o: S3StoreOptions): ObjectStore {
  const client = createS3Client(o)
  const Bucket = o.bucket
  return {
    async put(key, body) {
      try {
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body }))
      } catch (err) {
        throw wrap(err, `writing s3://${Bucket}/${key}`)
      }
    },
    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: key }))
        return await res.Body!.transformToByteArray()
      } catch (err) {
        if ((err as Error).name === 'NoSuchKey') throw new WorkbenchError(ErrorCode.NotFound, `s3://${Bucket}/${key} does not exist`, false, { cause: err })
        throw wrap(err, `reading s3://${Bucket}/${key}`)
      }
    },
    async list(prefix) {
      return (await this.listDetailed(prefix)).map((o) => o.key)
    },
    async listDetailed(prefix) {
      const out: StoredObject[] = []
      let token: string | undefined
      do {
        let res
        try {
          res = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken: token }))
        } catch (err) {
          throw wrap(err, `listing s3://${Bucket}/${prefix}`)
        }
        for (const c of res.Contents ?? []) if (c.Key) out.push({ key: c.Key, size: c.Size ?? 0, lastModifiedMs: c.LastModified?.getTime() ?? 0 })
        token = res.IsTruncated ? res.NextContinuationToken : undefined
      } while (token)
      return out
    },
    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: key }))
      } catch (err) {
        throw wrap(err, `deleting s3://${Bucket}/${key}`)
      }
    },
    close() {
      client.destroy()
    },
  }
}

function wrap(err: unknown, doing: string): WorkbenchError {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  const code = (err as { code?: string }).code
  const refused = code === 'ECONNREFUSED' || (err as Error).name === 'TimeoutError'
  const retryable = refused || status === undefined || status >= 500
  return new WorkbenchError(retryable ? ErrorCode.ServiceUnavailable : ErrorCode.HttpStatus, `${doing} failed: ${(err as Error).message || (err as Error).name}`, retryable, { cause: err })
}
