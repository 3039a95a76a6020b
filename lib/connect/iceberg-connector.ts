/**
 * The configuration of Apache Iceberg's Kafka Connect sink for the workbench's topics: the
 * distributed alternative to our own sink (docs/scale-out.md). Pure.
 *
 * Choices, each measured on this stack (docs/decisions.md D70):
 * - timestamps stay `long` microseconds. The Avro converter that reads our registry (Apicurio's)
 *   maps only `timestamp-millis`, so our `timestamp-micros` fields arrive as plain longs; Kafka's
 *   TimestampConverter would make them timestamps but cut them to milliseconds. Exact values
 *   beat a convenient type: cast in queries (`to_timestamp(timestamp / 1e6)`).
 * - the table is created by the sink from the record schema: decimals keep their scale (8) at
 *   precision 38; non-null fields are required.
 * - S3 credentials are not here: connector configs can be read over REST and are stored in a
 *   topic in plain text. The worker's environment carries them (stack/services/kafka-connect.ts).
 */
export interface IcebergConnectorOptions {
  /** The connector's name; also names its control consumer groups. */
  readonly name: string
  readonly topics: readonly string[]
  readonly namespace: string
  readonly table: string
  readonly catalogUrl: string
  readonly s3Endpoint: string
  readonly s3Region: string
  /** The coordinator's topic (one partition; create it first when the broker does not auto-create). */
  readonly controlTopic: string
  /** How often the coordinator commits to the table, ms (Iceberg's default: 5 minutes). */
  readonly commitIntervalMs: number
  readonly tasksMax?: number
}

export function icebergSinkConnectorConfig(o: IcebergConnectorOptions): Record<string, string> {
  const table = `${o.namespace}.${o.table}`
  return {
    'connector.class': 'org.apache.iceberg.connect.IcebergSinkConnector',
    'tasks.max': String(o.tasksMax ?? 1),
    topics: o.topics.join(','),
    'iceberg.tables': table,
    'iceberg.tables.auto-create-enabled': 'true',
    'iceberg.tables.evolve-schema-enabled': 'true',
    'iceberg.tables.auto-create-props.format-version': '2',
    'iceberg.control.topic': o.controlTopic,
    'iceberg.control.group-id-prefix': `${o.name}-control-`,
    'iceberg.control.commit.interval-ms': String(o.commitIntervalMs),
    'iceberg.control.commit.timeout-ms': String(Math.max(30_000, 3 * o.commitIntervalMs)),
    'iceberg.catalog.type': 'rest',
    'iceberg.catalog.uri': o.catalogUrl,
    'iceberg.catalog.io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
    'iceberg.catalog.s3.endpoint': o.s3Endpoint,
    'iceberg.catalog.s3.path-style-access': 'true',
    'iceberg.catalog.client.region': o.s3Region,
  }
}

/** The consumer group in which Connect commits a sink connector's source offsets. */
export const connectorGroupId = (name: string): string => `connect-${name}`
