// Runs the Auth Controller as its own process: `node --conditions=source --import tsx services/auth/src/main.ts`.
import {
  createLogger,
  createTracing,
  installGracefulShutdown,
  traceExporterFromEnv,
  type Tracing,
} from '@darktower/service-kit';
import { buildAuthController } from './auth-controller.ts';
import { loadAuthConfig, type AuthConfig } from './config.ts';

let config: AuthConfig;
let tracing: Tracing;
try {
  config = loadAuthConfig({ env: process.env });
  // OTEL_TRACES_EXPORTER (none by default, console, file with OTEL_TRACES_FILE, otlp with OTEL_EXPORTER_OTLP_*).
  tracing = createTracing({ serviceName: 'ac-service', ...traceExporterFromEnv(process.env) });
} catch (err) {
  // Before the logger exists: one clear line naming the bad key, no stack.
  process.stderr.write(
    `auth controller: invalid configuration: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
const logger = createLogger({
  component: 'ac-service',
  level: config.logLevel,
  traceIds: () => tracing.activeIds(),
});
try {
  const controller = await buildAuthController(config, { logger, tracing });
  installGracefulShutdown({
    logger,
    steps: [
      { name: 'auth-controller', run: () => controller.close('shutdown') },
      { name: 'tracing', run: () => tracing.close() },
    ],
  });
  await controller.listen();
} catch (err) {
  logger.fatal({ err }, 'auth controller failed to start');
  logger.flush(() => process.exit(1));
}
