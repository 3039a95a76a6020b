import { describe, expect, it } from 'vitest'
import { connectorGroupId, icebergSinkConnectorConfig } from '../../../lib/internal'
import { registryV2Url } from '../../../stack/services/kafka-connect'

describe("Kafka Connect's Iceberg sink, configured for the workbench", () => {
  const config = icebergSinkConnectorConfig({
    name: 'k2-iceberg',
    topics: ['market.crypto.trades.binance'],
    namespace: 'connect',
    table: 'trades',
    catalogUrl: 'http://127.0.0.1:8181',
    s3Endpoint: 'http://127.0.0.1:9000',
    s3Region: 'us-east-1',
    controlTopic: 'k2-iceberg-control',
    commitIntervalMs: 10_000,
  })

  it('writes the topics into one table through the REST catalog and S3FileIO, committing at the interval asked', () => {
    expect(config).toMatchObject({
      'connector.class': 'org.apache.iceberg.connect.IcebergSinkConnector',
      topics: 'market.crypto.trades.binance',
      'iceberg.tables': 'connect.trades',
      'iceberg.catalog.type': 'rest',
      'iceberg.catalog.uri': 'http://127.0.0.1:8181',
      'iceberg.catalog.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
      'iceberg.catalog.s3.path-style-access': 'true',
      'iceberg.control.topic': 'k2-iceberg-control',
      'iceberg.control.commit.interval-ms': '10000',
      // Its own control groups, not the shared default prefix.
      'iceberg.control.group-id-prefix': 'k2-iceberg-control-',
    })
    expect(connectorGroupId('k2-iceberg')).toBe('connect-k2-iceberg')
  })

  it('keeps secrets out (configs are readable over REST) and timestamps exact (no millisecond converter)', () => {
    expect(Object.keys(config).filter((k) => /secret|access-key|password/i.test(k))).toEqual([])
    expect(Object.keys(config).filter((k) => k.startsWith('transforms'))).toEqual([])
  })

  it("reaches Apicurio's v2 API beside the Confluent one the workbench uses", () => {
    expect(registryV2Url('http://127.0.0.1:8081/apis/ccompat/v7')).toBe('http://127.0.0.1:8081/apis/registry/v2')
    expect(registryV2Url('http://registry:8081/apis/ccompat/v7/')).toBe('http://registry:8081/apis/registry/v2')
  })
})
