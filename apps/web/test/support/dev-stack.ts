// The all-in-one dev stack of apps/cli (`startDevStack`): auth + global + meeting + media in one process, serving
// apps/web/dist and the REST APIs. Loaded lazily so the web tests still run where it does not exist yet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DevStack extends AsyncDisposable {
  readonly url: string;
}

interface StackHandle {
  url?: string;
  origin?: string;
  close?: () => Promise<void>;
  [Symbol.asyncDispose]?: () => Promise<void>;
}

type StartDevStack = (options: {
  port: number;
  dataDir: string;
  host?: string;
  webDir?: string;
  logLevel?: 'info' | 'warn' | 'error';
}) => Promise<StackHandle>;

/** The dev stack's start function, or a reason it is not available. */
export async function findDevStack(): Promise<StartDevStack | string> {
  try {
    const specifier = ['@darktower', 'cli'].join('/');
    const cli = (await import(specifier)) as { startDevStack?: StartDevStack };
    return typeof cli.startDevStack === 'function'
      ? cli.startDevStack
      : '@darktower/cli has no startDevStack yet';
  } catch (error) {
    return `@darktower/cli is not available: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function startDevStack(
  start: StartDevStack,
  options: { webDir?: string; logLevel?: 'info' | 'warn' | 'error' } = {},
): Promise<DevStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-web-'));
  const handle = await start({ port: 0, dataDir, host: '127.0.0.1', ...options });
  const raw = handle.url ?? handle.origin ?? '';
  // The page must be a secure context: http://localhost, not http://127.0.0.1.
  const url = raw.replace('//127.0.0.1', '//localhost').replace(/\/+$/, '');
  return {
    url,
    [Symbol.asyncDispose]: async () => {
      if (handle.close) await handle.close();
      else await handle[Symbol.asyncDispose]?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
