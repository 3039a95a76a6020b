import * as path from 'node:path'
import { createS3Client, ensureBucket, requestJson, requireSecret } from '../../lib/internal'
import { once, runStep } from '../lib/provision'
import type { ServiceContext, ServiceDefinition } from '../lib/service'

/**
 * MinIO publishes no semver tags; this pseudo-version is the commit `@latest` resolved to when
 * the stack was written (it builds with Go 1.26 in ~3 min cold, ~6 s from a warm Go cache).
 */
const moduleVersion = 'v0.0.0-20260212201848-7aac2a2c5b7c'
const binary = (ctx: ServiceContext): string => path.join(ctx.cacheDir, moduleVersion, 'minio')

/** MinIO, built from source through the Go module proxy, holding the Iceberg warehouse bucket. */
export const minio: ServiceDefinition = {
  name: 'minio',
  group: 'infra',
  title: 'MinIO (S3 API)',
  version: 'build 2026-02-12 7aac2a2c',
  dependsOn: [],
  requirements: [{ command: 'go', purpose: 'builds MinIO from the Go module proxy (no binary package is reachable)', install: 'install Go 1.24 or newer and put it on PATH' }],
  startTimeoutMs: 60_000,
  ports: (c) => [c.s3.port, c.s3.consolePort],
  address: (c) => c.s3.endpoint,

  async provision(ctx) {
    await once(`${binary(ctx)}.k2-complete`, () =>
      runStep(
        ctx.reporter,
        'minio',
        'building MinIO with go install (first run only, ~3 min on 2 cores)',
        'go',
        ['install', '-trimpath', '-ldflags=-s -w', `github.com/minio/minio@${moduleVersion}`],
        { logFile: ctx.provisionLog, env: { ...process.env, GOBIN: path.dirname(binary(ctx)), GOFLAGS: '-mod=mod', CGO_ENABLED: '0' } },
      ),
    )
  },

  async prepare(ctx) {
    const { config } = ctx
    return {
      command: binary(ctx),
      args: [
        'server',
        '--quiet',
        `--address=${config.host}:${config.s3.port}`,
        `--console-address=${config.host}:${config.s3.consolePort}`,
        `--certs-dir=${path.join(ctx.stateDir, 'certs')}`,
        path.join(ctx.stateDir, 'data'),
      ],
      env: {
        ...process.env,
        MINIO_ROOT_USER: requireSecret(config.s3.accessKeyId, 'K2_S3_ACCESS_KEY'),
        MINIO_ROOT_PASSWORD: requireSecret(config.s3.secretAccessKey, 'K2_S3_SECRET_KEY'),
        MINIO_UPDATE: 'off',
      },
    }
  },

  marker: (ctx) => `--address=${ctx.config.host}:${ctx.config.s3.port}`,

  async health(ctx) {
    await requestJson(`${ctx.config.s3.endpoint}/minio/health/ready`, { timeoutMs: 2000 })
  },

  async afterStart(ctx) {
    const { s3 } = ctx.config
    const client = createS3Client({ endpoint: s3.endpoint, region: s3.region, accessKeyId: requireSecret(s3.accessKeyId, 'K2_S3_ACCESS_KEY'), secretAccessKey: requireSecret(s3.secretAccessKey, 'K2_S3_SECRET_KEY') })
    try {
      await ensureBucket(client, s3.bucket)
    } finally {
      client.destroy()
    }
  },
}
