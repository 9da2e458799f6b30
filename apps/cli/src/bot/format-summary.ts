// Human-readable progress lines and summary for `darktower bot`.
import type { FleetProgress, FleetSummary } from './bot-fleet.ts';

export function progressLine(p: FleetProgress): string {
  return `[${p.elapsedS.toFixed(1).padStart(6)} s] joined ${String(p.joined)}/${String(p.bots)}  reconnecting ${String(
    p.reconnecting,
  )}  failed ${String(p.failed)}  sent ${String(p.framesSent)}  received ${String(p.framesReceived)}`;
}

export function summaryText(s: FleetSummary): string {
  const l = s.latencyMs;
  const lines = [
    `Bots          ${String(s.joined)}/${String(s.bots)} joined (${String(s.failedJoins)} failed to join, ${String(
      s.lostDuringRun,
    )} lost during the run) in ${s.meetings.join(', ')}`,
    `Frames        sent ${String(s.framesSent)}, received ${String(s.framesReceived)} (expected ${String(
      s.framesExpected,
    )} from the streams seen, ${String(s.corruptFrames)} corrupt)`,
    `Loss          ${(s.loss * 100).toFixed(2)} %`,
    `Latency       p50 ${String(l.p50)} ms  p95 ${String(l.p95)} ms  p99 ${String(l.p99)} ms  max ${String(
      l.max,
    )} ms (${String(l.count)} frames)`,
    `Recoveries    ${String(s.recoveries)}${
      s.recoveries > 0
        ? ` (p50 ${String(s.recoveryMs.p50)} ms, p95 ${String(s.recoveryMs.p95)} ms; same participant ids: ${
            s.participantIdsKept ? 'yes' : 'NO'
          })`
        : ''
    }`,
    `Duration      ${String(s.durationS)} s`,
  ];
  if (s.errors.length > 0)
    lines.push(`Errors        ${String(s.errors.length)}`, ...s.errors.slice(0, 20).map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
