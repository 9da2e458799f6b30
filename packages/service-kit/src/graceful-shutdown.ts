import { deadline, isTimeoutError } from './deadline.ts';
import type { Logger } from './logger.ts';

/** One shutdown step, run in order. `signal` aborts when the overall timeout expires. */
export interface ShutdownStep {
  name: string;
  run(signal: AbortSignal): unknown;
}

export interface GracefulShutdownOptions {
  /** Default `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[];
  /**
   * In order; typically: mark not ready (`ops.drain()`), wait a readiness period so load balancers stop sending,
   * stop accepting and drain (`app.close()`), close the service scope, close the ops server.
   */
  steps: readonly ShutdownStep[];
  /** Overall budget; default 25 s (inside Kubernetes' default 30 s grace period). */
  timeoutMs?: number;
  logger: Logger;
  /** How to end the process; default `process.exit`. */
  exit?: (code: number) => void;
}

export interface GracefulShutdown {
  /** Runs the steps (once) and exits: 0 when all succeeded, 1 when one failed or the timeout expired. */
  shutdown(reason: string): Promise<void>;
  readonly shuttingDown: boolean;
  /** Removes the signal handlers. */
  uninstall(): void;
}

/**
 * Installs signal handlers that shut the service down gracefully: the first signal runs `steps` in order within
 * `timeoutMs` then exits; a second signal exits at once with code 1.
 */
export function installGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { logger, steps } = options;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const timeoutMs = options.timeoutMs ?? 25_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;
  let exited = false;

  const finish = (code: number): void => {
    if (exited) return;
    exited = true;
    // Give buffered log lines a moment to reach the destination before the process ends.
    const timer = setTimeout(() => {
      exit(code);
    }, 1000);
    logger.flush(() => {
      clearTimeout(timer);
      exit(code);
    });
  };

  const runSteps = async (reason: string): Promise<void> => {
    logger.info({ reason, steps: steps.map((s) => s.name), timeout_ms: timeoutMs }, 'shutdown started');
    using budget = deadline(timeoutMs);
    const timedOut = new Promise<'timeout'>((resolve) => {
      budget.signal.addEventListener(
        'abort',
        () => {
          resolve('timeout');
        },
        { once: true },
      );
    });
    let failed = false;
    for (const step of steps) {
      logger.info({ step: step.name }, 'shutdown step');
      try {
        const outcome = await Promise.race([Promise.resolve().then(() => step.run(budget.signal)), timedOut]);
        if (outcome === 'timeout') {
          logger.error({ step: step.name, timeout_ms: timeoutMs }, 'shutdown timed out');
          finish(1);
          return;
        }
      } catch (error) {
        if (isTimeoutError(error)) {
          logger.error({ step: step.name, timeout_ms: timeoutMs }, 'shutdown timed out');
          finish(1);
          return;
        }
        failed = true;
        logger.error({ step: step.name, err: error }, 'shutdown step failed');
      }
    }
    logger.info({ failed }, 'shutdown complete');
    finish(failed ? 1 : 0);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running !== undefined) {
      logger.warn({ signal }, 'second signal: forcing exit');
      finish(1);
      return;
    }
    running = runSteps(signal);
  };

  for (const signal of signals) process.on(signal, onSignal);

  return {
    get shuttingDown() {
      return running !== undefined;
    },
    shutdown(reason) {
      running ??= runSteps(reason);
      return running;
    },
    uninstall() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
