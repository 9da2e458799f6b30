// Runs the Auth Controller as its own process: `node --conditions=source --import tsx services/auth/src/main.ts`.
import { createLogger, installGracefulShutdown } from '@darktower/service-kit';
import { buildAuthController } from './auth-controller.ts';
import { loadAuthConfig, type AuthConfig } from './config.ts';

let config: AuthConfig;
try {
  config = loadAuthConfig({ env: process.env });
} catch (err) {
  // Before the logger exists: one clear line naming the bad key, no stack.
  process.stderr.write(
    `auth controller: invalid configuration: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
const logger = createLogger({ component: 'ac-service', level: config.logLevel });
try {
  const controller = await buildAuthController(config, { logger });
  installGracefulShutdown({
    logger,
    steps: [{ name: 'auth-controller', run: () => controller.close('shutdown') }],
  });
  await controller.listen();
} catch (err) {
  logger.fatal({ err }, 'auth controller failed to start');
  logger.flush(() => process.exit(1));
}
