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
  // Each service's entry point sits beside its package entry (src/main.ts, or dist/main.js when built), and
  // runs the service with graceful shutdown when imported.
  const entry = new URL('main.ts', import.meta.resolve(SERVICES[name]));
  const built = entry.pathname.includes('/dist/') ? new URL('main.js', entry) : entry;
  await import(built.href);
  return 0;
}
