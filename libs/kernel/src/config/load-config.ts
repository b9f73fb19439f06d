import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { AppConfig, type AppDependencies } from './app-config.js';

/** One error listing every bad or missing variable, so an operator fixes them in one go. */
export class ConfigValidationError extends Error {
  constructor(
    readonly appName: string,
    readonly problems: string[],
  ) {
    super(`${appName}: invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

const describe = (error: ValidationError): string[] =>
  Object.values(error.constraints ?? {}).map((message) =>
    message.startsWith(error.property) ? message : `${error.property}: ${message}`,
  );

export function loadConfig(
  appName: string,
  defaultPort: number,
  uses: AppDependencies,
  env: NodeJS.ProcessEnv = process.env,
): AppConfig {
  const known = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(AppConfig, '', true, false)
      .map((metadata) => metadata.propertyName),
  );
  const raw: Record<string, unknown> = { PORT: String(defaultPort) };
  for (const [key, value] of Object.entries(env)) {
    if (known.has(key) && value !== undefined && value !== '') raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw, { enableImplicitConversion: true, exposeDefaultValues: true });
  config.appName = appName;
  config.uses = uses;
  const problems = validateSync(config, { forbidUnknownValues: false, stopAtFirstError: true }).flatMap(describe);
  problems.push(...keyPrefixProblems(config.INSTANCE_KEY_ENV_PREFIX, known));
  // Consul's own CLI lets the file win silently; here an operator learns which one is meant.
  if (config.CONSUL_HTTP_TOKEN && config.CONSUL_HTTP_TOKEN_FILE)
    problems.push('CONSUL_HTTP_TOKEN and CONSUL_HTTP_TOKEN_FILE are both set: keep one (the file allows rotation)');
  if (problems.length > 0) throw new ConfigValidationError(appName, problems);
  return config;
}

/**
 * Instances read their key from variables with INSTANCE_KEY_ENV_PREFIX: a prefix that also starts
 * one of Switchboard's own settings (CREDENTIALS_KEY under "C") would hand that setting to them.
 */
function keyPrefixProblems(prefix: string, settings: Set<string>): string[] {
  const exposed = [...settings].filter((setting) => setting.startsWith(prefix));
  return exposed.length === 0
    ? []
    : [
        `INSTANCE_KEY_ENV_PREFIX ${prefix} would let instances read Switchboard's own ${exposed.join(', ')}: choose a longer prefix such as SWITCHBOARD_PROVIDER_KEY_`,
      ];
}

/**
 * A secret kept in the environment and referenced by name (e.g. a provider key stored as
 * OPENAI_KEY_EU rather than in the database). Read when needed, never cached or logged.
 */
export function readSecretFromEnvironment(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
