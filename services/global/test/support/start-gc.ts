import { createLogger, type Tracing } from '@darktower/service-kit';
import { loadGlobalConfig } from '../../src/config.ts';
import { buildGlobalController, type GlobalController } from '../../src/global-controller.ts';
import { AUDIENCE, ISSUER, type TestIdentity } from './identity.ts';

export interface StartedGc {
  readonly gc: GlobalController;
  readonly url: string;
  readonly opsUrl: string;
}

/** A real Global Controller on loopback ports, configured through the same env keys as production. */
export async function startGc(
  identity: TestIdentity,
  env: Record<string, string | undefined>,
  options: { logLines?: string[]; tracing?: Tracing } = {},
): Promise<StartedGc> {
  const config = loadGlobalConfig({
    env: {
      GC_PORT: '0',
      GC_OPS_PORT: '0',
      AUTH_JWKS_URLS: identity.jwks.url,
      AUTH_ISSUERS: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      REGION: 'test-region',
      PUBLIC_BASE_URL: 'http://localhost:8080',
      LOG_LEVEL: 'silent',
      ...env,
    },
  });
  const lines = options.logLines;
  const logger =
    lines === undefined
      ? createLogger({ component: 'gc-test', level: 'silent' })
      : createLogger({
          component: 'gc-test',
          level: 'warn',
          destination: {
            write: (line: string) => {
              lines.push(line);
            },
          },
        });
  const gc = await buildGlobalController(config, {
    logger,
    ...(options.tracing === undefined ? {} : { tracing: options.tracing }),
  });
  const { api, ops } = await gc.listen();
  return { gc, url: api.url, opsUrl: ops.url };
}
