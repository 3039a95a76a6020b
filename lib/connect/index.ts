export { icebergSinkConnectorConfig, connectorGroupId } from './iceberg-connector'
export type { IcebergConnectorOptions } from './iceberg-connector'
export { createConnectClient } from './connect-rest'
export type { ConnectClient, ConnectorStatus } from './connect-rest'
