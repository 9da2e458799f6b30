// Entry point of the deployable Media Handler: `node --conditions=source --import tsx services/media/src/main.ts`.
import {
  createLogger,
  createTracing,
  installGracefulShutdown,
  traceExporterFromEnv,
} from '@darktower/service-kit';
import { buildMediaHandler } from './service/build-media-handler.ts';
import { loadMediaConfig } from './service/config.ts';

const config = loadMediaConfig({ env: process.env });
// OTEL_TRACES_EXPORTER (none by default, console, file with OTEL_TRACES_FILE, otlp with OTEL_EXPORTER_OTLP_*).
const tracing = createTracing({ serviceName: 'mh-service', ...traceExporterFromEnv(process.env) });
const logger = createLogger({
  component: 'mh-service',
  level: config.logLevel as 'info',
  traceIds: () => tracing.activeIds(),
});
const handler = buildMediaHandler(config, { logger, tracing });
installGracefulShutdown({
  logger,
  steps: [
    { name: 'media handler', run: () => handler.close('signal') },
    { name: 'tracing', run: () => tracing.close() },
  ],
});
const addresses = await handler.listen();
// One line on stdout that a parent process (tests, `darktower dev`) can read.
process.stdout.write(
  `${JSON.stringify({ ready: true, media: addresses.media, rpc: addresses.rpc, ops: addresses.ops.url, certificateHash: Buffer.from(addresses.certificateHash).toString('base64') })}\n`,
);
