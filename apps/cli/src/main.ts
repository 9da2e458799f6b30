// The `darktower` command line.
import { meetingCommand } from './commands/meeting.ts';
import { serveCommand } from './commands/serve.ts';
import { tokenCommand } from './commands/token.ts';

const USAGE = `usage: darktower <command> [options]

  dev                         run the whole platform in one process (what \`npm start\` runs)
  serve <auth|global|meeting|media>
                              run one service as its own process, configured from the environment
  bot --meeting <code> [--count N] [--publish video|audio|both] [--duration S]
                              join synthetic participants through the client SDK
  cluster [drills|soak] [--full]
                              the local multi-process cluster, its failure drills, the soak run
  token --client-id ID | --username NAME
                              print an access token
  meeting create|get|end      manage meetings through the REST API
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'dev': {
      const { devCommand } = await import('./commands/dev.ts');
      return devCommand(args, process.env);
    }
    case 'serve':
      return serveCommand(args);
    case 'bot': {
      const { botCommand } = await import('./commands/bot.ts');
      return botCommand(args, process.env);
    }
    case 'cluster': {
      const { clusterCommand } = await import('./commands/cluster.ts');
      return clusterCommand(args);
    }
    case 'token':
      return tokenCommand(args, process.env);
    case 'meeting':
      return meetingCommand(args, process.env);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`darktower: unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

// ts-mls 1.6.4 checks the key packages a commit adds in an async reduce that leaves a rejection unhandled when two
// or more of them fail validation. The commit is refused and reported through the SDK all the same; only that stray
// copy of the error must not end a process full of bots. Anything else unhandled still ends it.
process.on('unhandledRejection', (reason) => {
  if (
    reason instanceof Error &&
    reason.name === 'ValidationError' &&
    (reason.stack ?? '').includes('ts-mls')
  ) {
    process.stderr.write(`MLS: a refused commit's extra validation error (${reason.message})\n`);
    return;
  }
  throw reason;
});

main(process.argv.slice(2)).then(
  (code) => {
    // `dev` and `serve` keep running until a signal; other commands exit with their status.
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    process.stderr.write(`darktower: ${typeof code === 'string' ? `${code}: ` : ''}${message}\n`);
    process.exitCode = 1;
  },
);
