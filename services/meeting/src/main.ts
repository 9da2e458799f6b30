// Runs the Meeting Controller as its own process: `node --conditions=source --import tsx services/meeting/src/main.ts`.
import {
  createLogger,
  createTracing,
  installGracefulShutdown,
  isConfigError,
  traceExporterFromEnv,
} from '@darktower/service-kit';
import { loadMeetingConfig, type MeetingConfig } from './config.ts';
import { buildMeetingController } from './meeting-controller.ts';

async function main(): Promise<void> {
  let config: MeetingConfig;
  try {
    config = loadMeetingConfig({ env: process.env });
  } catch (error) {
    if (isConfigError(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  // OTEL_TRACES_EXPORTER (none by default, console, file with OTEL_TRACES_FILE, otlp with OTEL_EXPORTER_OTLP_*).
  const tracing = createTracing({ serviceName: 'mc-service', ...traceExporterFromEnv(process.env) });
  const logger = createLogger({
    component: 'mc-service',
    level: config.logLevel,
    traceIds: () => tracing.activeIds(),
  });
  const mc = await buildMeetingController(config, { logger, tracing });
  installGracefulShutdown({
    logger: mc.logger,
    steps: [
      { name: 'meeting-controller', run: () => mc.close('signal') },
      { name: 'tracing', run: () => tracing.close() },
    ],
  });
  const addresses = await mc.listen();
  // One line a supervisor (or `darktower dev`) can read to find the endpoints and the dev certificate hash.
  process.stdout.write(
    `${JSON.stringify({
      ready: true,
      controllerId: mc.controllerId,
      signaling: addresses.signaling.url,
      certificateHash: Buffer.from(addresses.certificateHash).toString('base64'),
      websocket: addresses.websocket.url,
      rpc: addresses.rpc.url,
      ops: addresses.ops.url,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `meeting controller failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
