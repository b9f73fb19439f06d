// The provider simulator as a process: `node scripts/run-app.mjs provider-simulator`.
//
//   SIMULATOR_PORT=8100                     control API port
//   SIMULATOR_INSTANCES=openai:openai-1,claude:claude-1,zai:zai-1,perplexity:pplx-1
//   SIMULATOR_BASE_PORT=8110                consecutive instance ports (absent: any free port)
//   SIMULATOR_API_KEY=…                     key the start-up instances require (absent: any key)
//
// Deliberately plain node:http with no request logging: it is the fast upstream of benchmarks.
import { readSimulatorEnvironment } from './environment.js';
import { ProviderSimulator } from './simulator.js';
import { describeError } from '@switchboard/kernel';

async function main(): Promise<void> {
  let settings: ReturnType<typeof readSimulatorEnvironment>;
  try {
    settings = readSimulatorEnvironment(process.env);
  } catch (error) {
    console.error(describeError(error));
    process.exit(1);
  }

  const simulator = await ProviderSimulator.start({ controlPort: settings.controlPort, instances: settings.instances });
  console.log(`provider-simulator control API ${simulator.controlUrl}`);
  for (const instance of simulator.list())
    console.log(`provider-simulator instance ${instance.id} (${instance.provider}) ${instance.baseUrl}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`provider-simulator stopping (${signal})`);
    simulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`provider-simulator failed to start: ${describeError(error)}`);
  process.exit(1);
});
