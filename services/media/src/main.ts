// Entry point of the deployable Media Handler: `node --conditions=source --import tsx services/media/src/main.ts`.
import { createLogger, installGracefulShutdown } from '@darktower/service-kit';
import { buildMediaHandler } from './service/build-media-handler.ts';
import { loadMediaConfig } from './service/config.ts';

const config = loadMediaConfig({ env: process.env });
const logger = createLogger({ component: 'media-handler', level: config.logLevel as 'info' });
const handler = buildMediaHandler(config, { logger });
installGracefulShutdown({
  logger,
  steps: [{ name: 'media handler', run: () => handler.close('signal') }],
});
const addresses = await handler.listen();
// One line on stdout that a parent process (tests, `darktower dev`) can read.
process.stdout.write(
  `${JSON.stringify({ ready: true, media: addresses.media, rpc: addresses.rpc, ops: addresses.ops.url, certificateHash: Buffer.from(addresses.certificateHash).toString('base64') })}\n`,
);
