// The provider simulator as an object: a set of simulated instances plus the control API that
// manages them. Tests use it in-process; main.ts wraps it in a process.
//
//   const sim = await ProviderSimulator.start({ controlPort: 0 });
//   const openai = await sim.addInstance({ id: 'openai-1', provider: 'openai' });
//   … new OpenAI({ baseURL: openai.baseUrl, apiKey: 'x' }) …
//   await sim.stop();
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROVIDER_NAMES, type ProviderName } from '@switchboard/providers';
import { handleControlRequest } from './control-api.js';
import { isRecord, parseKnobPatch, applyKnobPatch, SimulatorInputError, type Knobs } from './knobs.js';
import {
  HOST,
  SimulatedInstance,
  type InstanceSpec,
  type InstanceView,
  type RecordedRequest,
} from './simulated-instance.js';

export const DEFAULT_CONTROL_PORT = 8100;

export interface SimulatorOptions {
  /** Control API port; 0 picks a free one. Default 8100. */
  controlPort?: number;
  /** Instances to create at start-up. */
  instances?: unknown[];
}

/** A request the current state forbids, such as a duplicate id or a port already in use. */
export class SimulatorConflictError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SimulatorConflictError';
  }
}

export class SimulatorNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no instance with id "${id}"`);
    this.name = 'SimulatorNotFoundError';
  }
}

const SPEC_FIELDS = new Set(['id', 'provider', 'port', 'models', 'apiKey', 'knobs']);

/** Validates an instance description from the control API or from code. */
export function parseInstanceSpec(input: unknown): InstanceSpec {
  if (!isRecord(input)) throw new SimulatorInputError('body', 'must be a JSON object');
  for (const key of Object.keys(input))
    if (!SPEC_FIELDS.has(key)) throw new SimulatorInputError(key, 'is not a known field');
  const { id, provider, port, models, apiKey, knobs } = input;
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(id)) {
    throw new SimulatorInputError('id', 'must be 1-64 characters of letters, digits, ".", "_" or "-"');
  }
  if (typeof provider !== 'string' || !(PROVIDER_NAMES as readonly string[]).includes(provider)) {
    throw new SimulatorInputError('provider', `must be one of ${PROVIDER_NAMES.join(', ')}`);
  }
  const spec: InstanceSpec = { id, provider: provider as ProviderName };
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
      throw new SimulatorInputError('port', 'must be an integer from 0 to 65535');
    spec.port = port;
  }
  if (models !== undefined) {
    if (!Array.isArray(models) || models.length === 0)
      throw new SimulatorInputError('models', 'must be a non-empty array of model names');
    models.forEach((model, index) => {
      if (typeof model !== 'string' || model.trim() === '')
        throw new SimulatorInputError(`models[${index}]`, 'must be a non-empty string');
    });
    spec.models = models as string[];
  }
  if (apiKey !== undefined) {
    if (typeof apiKey !== 'string' || apiKey === '')
      throw new SimulatorInputError('apiKey', 'must be a non-empty string');
    spec.apiKey = apiKey;
  }
  if (knobs !== undefined) spec.knobs = applyKnobPatch({}, parseKnobPatch(knobs, 'knobs')) satisfies Knobs;
  return spec;
}

export class ProviderSimulator {
  private readonly instances = new Map<string, SimulatedInstance>();
  private control: Server | undefined;
  private stopping = false;

  private constructor() {}

  static async start(options: SimulatorOptions = {}): Promise<ProviderSimulator> {
    const simulator = new ProviderSimulator();
    try {
      await simulator.startControl(options.controlPort ?? DEFAULT_CONTROL_PORT);
      for (const spec of options.instances ?? []) await simulator.addInstance(spec);
    } catch (error) {
      await simulator.stop();
      throw error;
    }
    return simulator;
  }

  get controlPort(): number {
    return this.control ? (this.control.address() as AddressInfo).port : 0;
  }

  get controlUrl(): string {
    return `http://${HOST}:${this.controlPort}`;
  }

  /** Creates and starts an instance; the input is validated like a control API body. */
  async addInstance(input: unknown): Promise<InstanceView> {
    const spec = parseInstanceSpec(input);
    if (this.instances.has(spec.id)) throw new SimulatorConflictError('id', `an instance "${spec.id}" already exists`);
    for (const other of this.instances.values()) {
      if (spec.port && other.view().port === spec.port)
        throw new SimulatorConflictError('port', `${spec.port} is used by instance "${other.id}"`);
    }
    let instance: SimulatedInstance;
    try {
      instance = await SimulatedInstance.start(spec);
    } catch (error) {
      if (isErrnoException(error) && error.code === 'EADDRINUSE')
        throw new SimulatorConflictError('port', `${spec.port} is already in use`);
      throw error;
    }
    // A second addInstance with the same id may have finished first while this one listened.
    if (this.instances.has(spec.id) || this.stopping) {
      await instance.stop();
      throw new SimulatorConflictError('id', `an instance "${spec.id}" already exists`);
    }
    this.instances.set(spec.id, instance);
    return instance.view();
  }

  /** The live instance, for tests that want to look inside. */
  instance(id: string): SimulatedInstance {
    const instance = this.instances.get(id);
    if (!instance) throw new SimulatorNotFoundError(id);
    return instance;
  }

  list(): InstanceView[] {
    return [...this.instances.values()].map((instance) => instance.view());
  }

  get(id: string): InstanceView {
    return this.instance(id).view();
  }

  /** Merges knobs (`null` clears one); the input is validated like a control API body. */
  async updateKnobs(id: string, patch: unknown): Promise<InstanceView> {
    const instance = this.instance(id);
    const knobs = parseKnobPatch(patch, 'knobs');
    await relistening(instance, 'knobs.refuseConnections', () => instance.updateKnobs(knobs));
    return instance.view();
  }

  async reset(id: string): Promise<InstanceView> {
    const instance = this.instance(id);
    await relistening(instance, 'id', () => instance.reset());
    return instance.view();
  }

  requests(id: string): { served: number; chats: number; requests: RecordedRequest[] } {
    return this.instance(id).requests();
  }

  async removeInstance(id: string): Promise<void> {
    const instance = this.instance(id);
    this.instances.delete(id);
    await instance.stop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const instances = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(instances.map((instance) => instance.stop()));
    const control = this.control;
    this.control = undefined;
    if (control) {
      const closed = new Promise<void>((resolve) => control.close(() => resolve()));
      control.closeAllConnections();
      await closed;
    }
  }

  private async startControl(port: number): Promise<void> {
    const server = createServer((request, response) => void handleControlRequest(this, request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.control = server;
  }
}

/** Runs a change that may re-listen on the instance's old port, which someone may have taken since. */
async function relistening(instance: SimulatedInstance, field: string, change: () => Promise<void>): Promise<void> {
  try {
    await change();
  } catch (error) {
    if (isErrnoException(error) && error.code === 'EADDRINUSE') {
      throw new SimulatorConflictError(field, `port ${instance.view().port} is now used by another process`);
    }
    throw error;
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
