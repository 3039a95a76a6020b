/**
 * `npm run pipelines -- up [name…] | down [name…] | status | logs <name> [lines] | run <name>`
 * The workbench's workers (replay exchange, ingest, …) as background processes, managed like the
 * stack's services: health-checked, logged under the state folder, stopped with SIGTERM.
 */
import { runCli } from '../lib/cli'
import { stackCommand } from './stack-command'

runCli((config, args) => stackCommand('pipeline', config, args))
