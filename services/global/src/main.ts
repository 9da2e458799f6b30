// Runs the Global Controller as its own process: `node --conditions=source --import tsx services/global/src/main.ts`.
import { installGracefulShutdown, isConfigError } from '@darktower/service-kit';
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
  const gc = await buildGlobalController(config);
  installGracefulShutdown({
    logger: gc.logger,
    steps: [{ name: 'global-controller', run: () => gc.close('signal') }],
  });
  await gc.listen();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `global controller failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
