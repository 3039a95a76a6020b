export { parseConfig, configKeys, requireSecret, projectRoot, sinkPhases, parseShard, wholeFeed } from './config'
export type { WorkbenchConfig, ConfigKey, SinkPhase, IngestShard } from './config'
export { loadConfig, parseEnvFile, credentialsFileName } from './env-file'
export { processWorkDir } from './work-dir'
