// `darktower bot`: synthetic participants through the client SDK (signaling + media over QUIC WebTransport).
// Joins N guests, publishes synthetic video/audio, subscribes by layout, prints a line per second and a summary
// (or JSON with --json).
import { createTracing, spanHandleTracer, traceExporterFromEnv } from '@darktower/service-kit';
import { BotFleet } from '../bot/bot-fleet.ts';
import { botConnector, decodeHashes, devCertificateHashes } from '../bot/bot-connector.ts';
import { parseBotArgs } from '../bot/bot-args.ts';
import { progressLine, summaryText } from '../bot/format-summary.ts';

export async function botCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const a = parseBotArgs(args, env);
  const hashes = a.certHashes.length > 0 ? decodeHashes(a.certHashes) : await devCertificateHashes(a.url);
  const log = (line: string): void => {
    (a.json ? process.stderr : process.stdout).write(`${line}\n`);
  };
  // OTEL_TRACES_EXPORTER=console|file|otlp: each bot's join is a trace the services continue (none by default).
  const tracing = createTracing({ serviceName: 'darktower-bot', ...traceExporterFromEnv(env) });
  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const fleet = new BotFleet({
    baseUrl: a.url,
    meetings: a.meetings,
    count: a.count,
    connector: botConnector(hashes),
    publish: a.publish,
    videoFps: a.videoFps,
    audioFps: a.audioFps,
    joinConcurrency: a.joinConcurrency,
    ...(tracing.exporter === 'none' ? {} : { tracer: spanHandleTracer(tracing) }),
  });
  const ticker = setInterval(() => {
    log(progressLine(fleet.progress()));
  }, 1_000);
  try {
    await fleet.join(stop.signal);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, a.durationS * 1000);
      stop.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const summary = fleet.summary();
  await fleet.close();
  await tracing.close();
  if (a.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(summaryText(summary));
  return summary.joined === 0 ? 1 : 0;
}
