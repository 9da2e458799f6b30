// `darktower cluster`: the local cluster (1 Auth, 2 Global, 2 Meeting Controllers, 3 Media Handlers as separate
// processes; real PostgreSQL and a private Redis; a round-robin HTTP front), and what runs on it:
//   darktower cluster [--dir data/cluster] [--port 8080]      run it until Ctrl-C          (npm run cluster)
//   darktower cluster drills [--full] [--only kill-gc,...]     the failure drills          (npm run drills)
//   darktower cluster soak [--full] [--bots N --meetings M --duration S --video-fps F --audio-fps F
//                          --bot-processes P]
//                                                              the soak                    (npm run soak)
// Drills and soak start their own cluster in a temporary folder and print JSON results at the end.
import { parseArgs } from 'node:util';
import { Cluster } from '../cluster/cluster.ts';
import { DRILLS, targetMet } from '../cluster/drills.ts';
import { runDrills, type DrillName } from '../cluster/run-drills.ts';
import { runSoak } from '../cluster/soak.ts';

export async function clusterCommand(argv: string[]): Promise<number> {
  const [mode = 'run', ...rest] = argv.at(0)?.startsWith('--') === false ? argv : ['run', ...argv];
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string' },
      port: { type: 'string', default: '8080' },
      'log-level': { type: 'string', default: 'info' },
      full: { type: 'boolean', default: false },
      only: { type: 'string' },
      bots: { type: 'string' },
      meetings: { type: 'string' },
      duration: { type: 'string' },
      'video-fps': { type: 'string' },
      'audio-fps': { type: 'string' },
      'bot-processes': { type: 'string' },
    },
  });
  const log = (line: string): void => {
    process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  };
  const positive = (name: string, v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };

  if (mode === 'drills') {
    const only = values.only?.split(',').filter((n) => n !== '');
    for (const n of only ?? [])
      if (!Object.hasOwn(DRILLS, n))
        throw new Error(`unknown drill ${n} (${Object.keys(DRILLS).join(', ')})`);
    const results = await runDrills({
      scale: values.full ? 'full' : 'short',
      ...(only === undefined ? {} : { only: only as DrillName[] }),
      ...(values.dir === undefined ? {} : { dir: values.dir }),
      log,
    });
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return results.every((r) => r.problems.length === 0 && targetMet(r)) ? 0 : 1;
  } else if (mode === 'soak') {
    // Ctrl-C: the bots leave and the cluster stops (its processes, its Redis) before the command exits. A terminal
    // delivers it twice (to this process and through bin/darktower.js), so repeats are ignored.
    const stop = new AbortController();
    process.on('SIGINT', () => {
      if (stop.signal.aborted) return;
      log('stopping...');
      stop.abort();
    });
    const report = await runSoak({
      signal: stop.signal,
      bots: positive('bots', values.bots, values.full ? 200 : 20),
      meetings: positive('meetings', values.meetings, values.full ? 20 : 4),
      durationS: positive('duration', values.duration, values.full ? 600 : 30),
      // Per-bot media rates: the full soak has ten times the bots on the same two cores, so each sends less
      // (1 + 2 frames/s: about the frames per second the short soak carries in all).
      videoFps: positive('video-fps', values['video-fps'], values.full ? 1 : 15),
      audioFps: positive('audio-fps', values['audio-fps'], values.full ? 2 : 50),
      ...(values['bot-processes'] === undefined
        ? {}
        : { botProcesses: positive('bot-processes', values['bot-processes'], 1) }),
      ...(values.dir === undefined ? {} : { dir: values.dir }),
      log,
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `\nmemory growth after warm-up: max ${String(report.maxGrowthPct)} % (target < 10 %); errors: ${String(
        report.errors.length + report.frontFailures,
      )} (target 0); media delivery ratio: ${String(report.deliveryRatio)}\n`,
    );
    return report.maxGrowthPct < 10 && report.errors.length === 0 && report.frontFailures === 0 ? 0 : 1;
  } else if (mode === 'run') {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
    const started = performance.now();
    const cluster = await Cluster.start({
      dir: values.dir ?? 'data/cluster',
      port,
      logLevel: values['log-level'],
      onProgress: log,
    });
    process.stdout.write(
      `\nDark Tower cluster up in ${String(Math.round(performance.now() - started))} ms\n` +
        `  API            ${cluster.url}\n` +
        cluster.services
          .map((s) => `  ${s.name.padEnd(14)} ${s.baseUrl}  (ops ${s.opsUrl}, pid ${String(s.process.pid)})`)
          .join('\n') +
        `\n  redis          127.0.0.1:${String(cluster.redisPort)} (prefix ${cluster.redisPrefix})\n` +
        `  postgres       ${cluster.database.url} (services reach it via relay port ${String(cluster.pgRelay.port)})\n` +
        `  logs           ${cluster.dir}/logs\n\n` +
        `Try: darktower bot --url ${cluster.url} --meeting <code> --count 4\nPress Ctrl-C to stop.\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.stdout.write('Stopping...\n');
        void cluster.close().then(() => {
          process.stdout.write('Stopped.\n');
          resolve();
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  } else {
    throw new Error(`unknown mode ${mode}: run (default), drills or soak`);
  }
}
