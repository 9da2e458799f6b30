var __addDisposableResource =
  (this && this.__addDisposableResource) ||
  function (env, value, async) {
    if (value !== null && value !== void 0) {
      if (typeof value !== 'object' && typeof value !== 'function') throw new TypeError('Object expected.');
      var dispose, inner;
      if (async) {
        if (!Symbol.asyncDispose) throw new TypeError('Symbol.asyncDispose is not defined.');
        dispose = value[Symbol.asyncDispose];
      }
      if (dispose === void 0) {
        if (!Symbol.dispose) throw new TypeError('Symbol.dispose is not defined.');
        dispose = value[Symbol.dispose];
        if (async) inner = dispose;
      }
      if (typeof dispose !== 'function') throw new TypeError('Object not disposable.');
      if (inner)
        dispose = function () {
          try {
            inner.call(this);
          } catch (e) {
            return Promise.reject(e);
          }
        };
      env.stack.push({ value: value, dispose: dispose, async: async });
    } else if (async) {
      env.stack.push({ async: true });
    }
    return value;
  };
var __disposeResources =
  (this && this.__disposeResources) ||
  (function (SuppressedError) {
    return function (env) {
      function fail(e) {
        env.error = env.hasError
          ? new SuppressedError(e, env.error, 'An error was suppressed during disposal.')
          : e;
        env.hasError = true;
      }
      var r,
        s = 0;
      function next() {
        while ((r = env.stack.pop())) {
          try {
            if (!r.async && s === 1) return ((s = 0), env.stack.push(r), Promise.resolve().then(next));
            if (r.dispose) {
              var result = r.dispose.call(r.value);
              if (r.async)
                return (
                  (s |= 2),
                  Promise.resolve(result).then(next, function (e) {
                    fail(e);
                    return next();
                  })
                );
            } else s |= 1;
          } catch (e) {
            fail(e);
          }
        }
        if (s === 1) return env.hasError ? Promise.reject(env.error) : Promise.resolve();
        if (env.hasError) throw env.error;
      }
      return next();
    };
  })(
    typeof SuppressedError === 'function'
      ? SuppressedError
      : function (error, suppressed, message) {
          var e = new Error(message);
          return ((e.name = 'SuppressedError'), (e.error = error), (e.suppressed = suppressed), e);
        },
  );
// The soak: many bots in many meetings on the cluster for a bounded time, memory of every process sampled;
// reports growth after warm-up (target < 10 %), errors (target zero) and the media delivery ratio.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';
import { createMeeting, fleetOn, signUpHost } from './cluster-client.js';
import { residentBytes } from './memory.js';
export async function runSoak(o) {
  const env_1 = { stack: [], error: void 0, hasError: false };
  try {
    const log = o.log ?? (() => undefined);
    const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'dt-soak-'));
    const cluster = __addDisposableResource(
      env_1,
      await Cluster.start({ dir, logLevel: 'warn', onProgress: log }),
      true,
    );
    const host = await signUpHost(cluster);
    const codes = [];
    for (let i = 0; i < o.meetings; i++)
      codes.push((await createMeeting(cluster, host, `soak-${String(i)}`)).code);
    const fleet = __addDisposableResource(
      env_1,
      fleetOn(cluster, {
        meetings: codes,
        count: o.bots,
        publish: 'both',
        videoFps: 15,
        audioFps: 50,
        videoBytes: 1200,
        joinConcurrency: 1,
        namePrefix: 'soak',
      }),
      true,
    );
    log(`joining ${String(o.bots)} bots into ${String(o.meetings)} meetings`);
    await fleet.join();
    const processes = () => [
      ...cluster.services.map((s) => ({ name: s.name, pid: s.process.pid })),
      { name: 'redis', pid: cluster.redis.pid },
    ];
    const samples = new Map();
    const started = Date.now();
    const every = (o.sampleEveryS ?? 5) * 1000;
    while (Date.now() - started < o.durationS * 1000) {
      const atS = (Date.now() - started) / 1000;
      for (const p of processes()) {
        if (p.pid === undefined) continue;
        const bytes = await residentBytes(p.pid);
        if (bytes === undefined) continue;
        const list = samples.get(p.name) ?? [];
        list.push({ atS, bytes });
        samples.set(p.name, list);
      }
      const pr = fleet.progress();
      log(
        `[${atS.toFixed(0).padStart(4)} s] joined ${String(pr.joined)}/${String(pr.bots)} sent ${String(pr.framesSent)} received ${String(pr.framesReceived)}`,
      );
      await new Promise((r) =>
        setTimeout(r, Math.min(every, Math.max(0, o.durationS * 1000 - (Date.now() - started)))),
      );
    }
    const summary = fleet.summary();
    const warmUpS = o.durationS * (o.warmUp ?? 0.2);
    const memory = {};
    let maxGrowthPct = 0;
    for (const [name, list] of samples) {
      const baseline = list.find((s) => s.atS >= warmUpS) ?? list[0];
      const tail = list.slice(-3);
      if (baseline === undefined || tail.length === 0) continue;
      const end = tail.reduce((a, s) => a + s.bytes, 0) / tail.length;
      const growthPct = ((end - baseline.bytes) / baseline.bytes) * 100;
      maxGrowthPct = Math.max(maxGrowthPct, growthPct);
      const mib = (b) => Math.round((b / 1048576) * 10) / 10;
      memory[name] = {
        baselineMiB: mib(baseline.bytes),
        endMiB: mib(end),
        growthPct: Math.round(growthPct * 10) / 10,
        samples: list.length,
      };
    }
    // Each frame a bot sends should reach every other bot of its meeting.
    const perMeeting = new Map();
    fleet.bots.forEach((_, i) => {
      const code = codes[i % codes.length] ?? '';
      perMeeting.set(code, (perMeeting.get(code) ?? 0) + 1);
    });
    let deliveries = 0;
    fleet.bots.forEach((b, i) => {
      deliveries += b.framesSent * ((perMeeting.get(codes[i % codes.length] ?? '') ?? 1) - 1);
    });
    return {
      bots: o.bots,
      meetings: o.meetings,
      durationS: o.durationS,
      memory,
      maxGrowthPct: Math.round(maxGrowthPct * 10) / 10,
      errors: summary.errors,
      frontFailures: cluster.proxy.stats.failed,
      deliveryRatio:
        deliveries === 0 ? 0 : Math.round((summary.framesReceived / deliveries) * 10_000) / 10_000,
      fleet: summary,
    };
  } catch (e_1) {
    env_1.error = e_1;
    env_1.hasError = true;
  } finally {
    const result_1 = __disposeResources(env_1);
    if (result_1) await result_1;
  }
}
//# sourceMappingURL=soak.js.map
