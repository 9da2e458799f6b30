// The Meeting Controller alone in its own process for the scale benchmark: the deployable factory
// (buildMeetingController, configured from the environment exactly as main.ts does), plus an IPC channel that
// answers with this process's own memory and CPU, so the numbers are the controller's and nobody else's.
// Started by scale-bench.ts with `--expose-gc`, so heap figures are taken after a full collection.
import { writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { loadMeetingConfig } from '../../src/config.ts';
import { buildMeetingController } from '../../src/meeting-controller.ts';
import type { ControllerReady, ControllerRequest, ControllerStats } from './ipc.ts';

function send(message: ControllerReady | ControllerStats): void {
  process.send?.(message);
}

const gc = (globalThis as { gc?: () => void }).gc;

/** A CPU profile of the next `ms` of this process, written to `path` (open it in Chrome DevTools). */
async function profile(ms: number, path: string): Promise<void> {
  const session = new InspectorSession();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, ms));
    const { profile: result } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(result));
  } finally {
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const mc = await buildMeetingController(loadMeetingConfig({ env: process.env }));
  const addresses = await mc.listen();
  let elu = performance.eventLoopUtilization();
  process.on('message', (raw: ControllerRequest) => {
    if (raw.type === 'profile') {
      void profile(raw.ms, raw.path);
    } else if (raw.type === 'stats') {
      if (raw.gc && gc !== undefined) {
        gc();
        gc();
      }
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      const now = performance.eventLoopUtilization();
      const sinceLast = performance.eventLoopUtilization(now, elu);
      elu = now;
      send({
        type: 'stats',
        tag: raw.tag,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        heapTotal: memory.heapTotal,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        eventLoopUtilization: sinceLast.utilization,
        uptimeMs: performance.now(),
      });
    } else {
      void mc.close('benchmark done').then(() => {
        process.exit(0);
      });
    }
  });
  send({
    type: 'ready',
    pid: process.pid,
    signaling: addresses.signaling.url,
    certificateHash: Buffer.from(addresses.certificateHash).toString('base64'),
    websocket: addresses.websocket.url,
    rpc: addresses.rpc.url,
    ops: addresses.ops.url,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `controller failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
