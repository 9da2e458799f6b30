// `darktower bot`: synthetic participants through the client SDK. Not built yet: it needs the client SDK's
// Node media path; this says so instead of pretending.
export function botCommand(_args: string[], _env: NodeJS.ProcessEnv): Promise<number> {
  process.stderr.write('darktower bot: not yet available (waiting on the client SDK for Node bots)\n');
  return Promise.resolve(2);
}
