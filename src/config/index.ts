// Public surface of the configuration module: load, inspect and redact the Config.
export type { ApiToken, Config, LogLevel, RemediationMode, TargetConfig, TokenScope } from './config.js';
export { LOG_LEVELS, REMEDIATION_MODES, TOKEN_SCOPES } from './config.js';
export { CONFIG_KEYS, envVarFor, type ConfigKey } from './config-keys.js';
export {
  CONFIG_ENV_VAR,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  locateConfigFile,
  type LoadConfigOptions,
} from './load-config.js';
export { REDACTED, redactConfig } from './redact-config.js';
