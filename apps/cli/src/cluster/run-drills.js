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
// Starts a cluster, runs drills one after another on it, and returns their results (the cluster is stopped after).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';
import { signUpHost } from './cluster-client.js';
import { DRILLS, formatDrill } from './drills.js';
export async function runDrills(options) {
  const env_1 = { stack: [], error: void 0, hasError: false };
  try {
    const log = options.log ?? (() => undefined);
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dt-drills-'));
    const cluster = __addDisposableResource(
      env_1,
      await Cluster.start({ dir, logLevel: 'warn', onProgress: log }),
      true,
    );
    const host = await signUpHost(cluster);
    const results = [];
    for (const name of options.only ?? Object.keys(DRILLS)) {
      log(`drill ${name}...`);
      let result;
      try {
        result = await DRILLS[name]({ cluster, host, scale: options.scale, log });
      } catch (error) {
        result = {
          name,
          targetMs: 0,
          recoveryMs: -1,
          details: {},
          problems: [`drill aborted: ${error instanceof Error ? error.message : String(error)}`],
        };
      }
      log(formatDrill(result));
      results.push(result);
    }
    log(`logs: ${dir}/logs`);
    return results;
  } catch (e_1) {
    env_1.error = e_1;
    env_1.hasError = true;
  } finally {
    const result_1 = __disposeResources(env_1);
    if (result_1) await result_1;
  }
}
//# sourceMappingURL=run-drills.js.map
