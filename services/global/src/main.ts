// Runs the Global Controller as its own process: `node --conditions=source --import tsx services/global/src/main.ts`.
import {
  createLogger,
  createTracing,
  installGracefulShutdown,
  isConfigError,
  traceExporterFromEnv,
} from '@darktower/service-kit';
import { loadGlobalConfig } from './config.ts';
import { buildGlobalController } from './global-controller.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadGlobalConfig({ env: process.env });
  } catch (error) {
    if (isConfigError(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  // OTEL_TRACES_EXPORTER (none by default, console, file with OTEL_TRACES_FILE, otlp with OTEL_EXPORTER_OTLP_*).
  const tracing = createTracing({ serviceName: 'gc-service', ...traceExporterFromEnv(process.env) });
  const logger = createLogger({
    component: 'gc-service',
    level: config.logLevel,
    traceIds: () => tracing.activeIds(),
  });
  const gc = await buildGlobalController(config, { logger, tracing });
  installGracefulShutdown({
    logger: gc.logger,
    steps: [
      { name: 'global-controller', run: () => gc.close('signal') },
      { name: 'tracing', run: () => tracing.close() },
    ],
  });
  await gc.listen();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `global controller failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
