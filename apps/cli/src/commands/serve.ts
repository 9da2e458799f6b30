// `darktower serve <auth|global|meeting|media>`: runs one service as its own process, configured from the
// environment (and the service's config file option), for containers and the local cluster.
const SERVICES = {
  auth: '@darktower/auth',
  global: '@darktower/global',
  meeting: '@darktower/meeting',
  media: '@darktower/media',
} as const;

export type ServiceName = keyof typeof SERVICES;

export function isServiceName(name: string | undefined): name is ServiceName {
  return name !== undefined && Object.hasOwn(SERVICES, name);
}

export async function serveCommand(args: string[]): Promise<number> {
  const [name] = args;
  if (!isServiceName(name)) {
    throw new Error(`usage: darktower serve <${Object.keys(SERVICES).join('|')}>`);
  }
  // Started by a supervisor (the local cluster) that may itself be killed: leave with it instead of holding ports
  // and CPU as an orphan. SIGTERM runs the service's graceful shutdown.
  if (process.env.DARKTOWER_EXIT_WITH_PARENT === '1') {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
    }, 1_000).unref();
  }
  // Each service's entry point sits beside its package entry (src/main.ts, or dist/main.js when built), and
  // runs the service with graceful shutdown when imported.
  const entry = new URL('main.ts', import.meta.resolve(SERVICES[name]));
  const built = entry.pathname.includes('/dist/') ? new URL('main.js', entry) : entry;
  await import(built.href);
  return 0;
}
