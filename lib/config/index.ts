export { parseConfig, configKeys, requireSecret, projectRoot } from './config'
export type { WorkbenchConfig, ConfigKey } from './config'
export { loadConfig, parseEnvFile, credentialsFileName } from './env-file'
