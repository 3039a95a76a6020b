/**
 * `npm run stack -- up [service…] | down [service…] | status | logs <service> [lines] | run <service>`
 * The local stack: real Kafka, schema registry, Iceberg REST catalog, MinIO, Prometheus and
 * JupyterLab as processes on loopback, provisioned on first use.
 */
import { runCli } from '../lib/cli'
import { stackCommand } from './stack-command'

runCli((config, args) => stackCommand('infra', config, args))
