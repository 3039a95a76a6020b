export { parseConfig, configKeys, requireSecret, projectRoot, sinkPhases } from './config'
export type { WorkbenchConfig, ConfigKey, SinkPhase } from './config'
export { loadConfig, parseEnvFile, credentialsFileName } from './env-file'
export { processWorkDir } from './work-dir'
