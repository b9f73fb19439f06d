import 'reflect-metadata';
import cluster from 'node:cluster';
import { type DynamicModule, type ExceptionFilter, type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type AppConfig,
  type AppDependencies,
  ConfigValidationError,
  loadConfig,
  describeError,
} from '@switchboard/kernel';
import { type ConsulModuleOptions, ConsulRegistrationService } from '@switchboard/consul';
import { JsonLogger, MetricsService } from '@switchboard/kernel';
import type { AddressInfo } from 'node:net';
import {
  type EdgeRenderer,
  edgeServerOptions,
  type HttpLimits,
  httpLimitsOf,
  installBodyParsers,
} from './http-edge.js';
import { instrumentHttp } from './http-instrumentation.js';
import { fromRefusal, OperatorErrorsFilter } from './operator-errors.filter.js';
import { supervise } from './workers.js';
import { PlatformModule } from './platform.module.js';

export interface AppDefinition {
  name: string;
  defaultPort: number;
  uses: AppDependencies;
  consul?: ConsulModuleOptions;
  /** Builds the app's root module around the platform module. */
  module: (platform: DynamicModule) => DynamicModule;
  /**
   * The client API's error format (the gateway): its limits are the client ones and every error,
   * down to a stalled request, is rendered by this surface. Absent: the operator JSON shape.
   */
  clientSurface?: (limits: HttpLimits) => ErrorSurface;
  /** Processes to run on the one port (node:cluster); one when absent. */
  workers?: (config: AppConfig) => number;
  /** App-specific set-up before it listens (OpenAPI docs, ...). */
  configure?: (app: NestFastifyApplication, config: AppConfig) => void | Promise<void>;
}

/** How an app answers failures: a Nest filter for routed requests, a renderer for the raw edge. */
export interface ErrorSurface {
  filter: ExceptionFilter;
  render: EdgeRenderer;
}

function operatorSurface(limits: HttpLimits): ErrorSurface {
  return { filter: new OperatorErrorsFilter(limits), render: (_url, refusal) => fromRefusal(refusal) };
}

export interface RunningApp {
  app: INestApplication;
  config: AppConfig;
  port: number;
}

/**
 * Starts an app: validated config (or one clear error and exit 1), JSON logs, Fastify with request
 * ids and metrics, graceful shutdown on SIGTERM/SIGINT, and Consul registration once it listens.
 * An app with several workers starts them instead and resolves to undefined in the primary.
 */
export async function bootstrapApp(
  definition: AppDefinition,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningApp | undefined> {
  let config: AppConfig;
  try {
    config = loadConfig(definition.name, definition.defaultPort, definition.uses, env);
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = new JsonLogger(definition.name, config.LOG_LEVEL);
  const workers = definition.workers?.(config) ?? 1;
  if (workers > 1 && cluster.isPrimary) {
    supervise(definition.name, workers, logger, config.SHUTDOWN_GRACE_MS);
    return undefined;
  }
  const metrics = new MetricsService(definition.name);
  const root = definition.module(PlatformModule.forRoot(config, metrics, { consul: definition.consul }));
  const limits = httpLimitsOf(config, definition.clientSurface !== undefined);
  const surface = (definition.clientSurface ?? operatorSurface)(limits);
  const app = await NestFactory.create<NestFastifyApplication>(
    root,
    new FastifyAdapter(edgeServerOptions(limits, surface.render)),
    { logger, abortOnError: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  installBodyParsers(app, limits.maxJsonDepth);
  instrumentHttp(fastify, metrics);
  app.useGlobalFilters(surface.filter);
  // Every body and query is validated at the edge: unknown fields are refused, each error names its field.
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  await definition.configure?.(app, config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(app, logger, signal, config.SHUTDOWN_GRACE_MS));
  }
  await app.listen(config.PORT, config.HOST);
  const port = (app.getHttpServer().address() as AddressInfo).port;
  app.get(ConsulRegistrationService).start(port);
  logger.log(`${definition.name} listening on http://${config.HOST}:${port}`, 'Bootstrap');
  return { app, config, port };
}

/**
 * Graceful stop: Nest's shutdown hooks (Consul deregistration first, then connections), the HTTP
 * server drains in-flight requests, and the process exits 0. Past the grace period it exits 1.
 */
let shuttingDown = false;

async function shutdown(
  app: INestApplication,
  logger: JsonLogger,
  signal: NodeJS.Signals,
  graceMs: number,
): Promise<void> {
  // Ctrl-C reaches the whole process group and a supervisor may add a SIGTERM: stop once.
  if (shuttingDown) return;
  shuttingDown = true;
  logger.log(`${signal} received; shutting down (grace ${graceMs} ms)`, 'Bootstrap');
  setTimeout(() => {
    logger.error(`Shutdown took longer than ${graceMs} ms; exiting`, undefined, 'Bootstrap');
    process.exit(1);
  }, graceMs).unref();
  try {
    await app.close();
    process.exit(0);
  } catch (error) {
    logger.error(`Shutdown failed: ${describeError(error)}`, undefined, 'Bootstrap');
    process.exit(1);
  }
}
