// The simulator process's settings, read from the environment and validated in one pass so a
// bad start-up names every problem at once.
import { PROVIDER_NAMES } from '@switchboard/providers';
import { DEFAULT_CONTROL_PORT } from './simulator.js';

export interface SimulatorEnvironment {
  controlPort: number;
  /** Instances to create at start-up, with consecutive ports from SIMULATOR_BASE_PORT. */
  instances: { id: string; provider: string; port?: number; apiKey?: string }[];
}

export function readSimulatorEnvironment(env: NodeJS.ProcessEnv): SimulatorEnvironment {
  const problems: string[] = [];
  const port = (name: string, fallback: number | undefined): number | undefined => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      problems.push(`${name} must be a port number (0-65535), got "${raw}"`);
      return fallback;
    }
    return value;
  };

  const controlPort = port('SIMULATOR_PORT', DEFAULT_CONTROL_PORT) ?? DEFAULT_CONTROL_PORT;
  const basePort = port('SIMULATOR_BASE_PORT', undefined);
  const apiKey = env.SIMULATOR_API_KEY?.trim() || undefined;

  const instances: SimulatorEnvironment['instances'] = [];
  const entries = (env.SIMULATOR_INSTANCES ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  entries.forEach((entry, index) => {
    const [provider, id, extra] = entry.split(':').map((part) => part.trim());
    if (!provider || !id || extra !== undefined) {
      problems.push(`SIMULATOR_INSTANCES entry "${entry}" must look like provider:id`);
      return;
    }
    if (!(PROVIDER_NAMES as readonly string[]).includes(provider)) {
      problems.push(`SIMULATOR_INSTANCES entry "${entry}": provider must be one of ${PROVIDER_NAMES.join(', ')}`);
      return;
    }
    instances.push({
      id,
      provider,
      ...(basePort !== undefined && basePort !== 0 ? { port: basePort + index } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
    });
  });
  if (basePort !== undefined && basePort + entries.length - 1 > 65535)
    problems.push('SIMULATOR_BASE_PORT leaves no room for every instance below 65536');

  if (problems.length > 0) throw new Error(`invalid provider-simulator configuration:\n  - ${problems.join('\n  - ')}`);
  return { controlPort, instances };
}
