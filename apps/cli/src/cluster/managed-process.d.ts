export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Polled until it answers 2xx. */
  readonly readyUrl?: string;
  readonly logFile: string;
  readonly cwd?: string;
}
export type ProcessState = 'stopped' | 'starting' | 'running' | 'exited';
export declare class ManagedProcess {
  #private;
  readonly spec: ProcessSpec;
  constructor(spec: ProcessSpec);
  get state(): ProcessState;
  get pid(): number | undefined;
  get starts(): number;
  /** Starts the process and waits until its ready URL answers (or it exits, or the deadline passes). */
  start(timeoutMs?: number): Promise<void>;
  /** SIGKILL: the process dies as in a crash. Resolves when it has exited. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  restart(timeoutMs?: number): Promise<void>;
  /** Stops the process and closes its log. Idempotent. */
  close(): Promise<void>;
}
//# sourceMappingURL=managed-process.d.ts.map
