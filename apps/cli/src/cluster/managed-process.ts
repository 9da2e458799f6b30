// One supervised child process: spawned with its own environment, stdout and stderr appended to a log file,
// readiness by polling a URL, and kill (SIGKILL, a crash) / stop (SIGTERM) / restart by the supervisor.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

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

export class ManagedProcess {
  readonly spec: ProcessSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<number | null> = Promise.resolve(null);
  #state: ProcessState = 'stopped';
  #log: WriteStream | undefined;
  #starts = 0;
  #tail = '';

  constructor(spec: ProcessSpec) {
    this.spec = spec;
  }

  get state(): ProcessState {
    return this.#state;
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  get starts(): number {
    return this.#starts;
  }
  /** The last few kB the process wrote (stdout and stderr), for errors about it. */
  get outputTail(): string {
    return this.#tail;
  }

  /** Starts the process and waits until its ready URL answers (or it exits, or the deadline passes). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.#state === 'starting' || this.#state === 'running') return;
    this.#starts++;
    this.#state = 'starting';
    this.#log ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    const log = this.#log;
    log.write(`--- start ${String(this.#starts)} at ${new Date().toISOString()}\n`);
    const child = spawn(this.spec.command, [...this.spec.args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.spec.cwd === undefined ? {} : { cwd: this.spec.cwd }),
    });
    this.#child = child;
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const keep = (chunk: Buffer): void => {
      this.#tail = (this.#tail + chunk.toString('utf8')).slice(-4096);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        log.write(`--- exit code=${String(code)} signal=${String(signal)} at ${new Date().toISOString()}\n`);
        if (this.#child === child) this.#state = 'exited';
        resolve(code);
      });
    });
    if (this.spec.readyUrl === undefined) {
      this.#state = 'running';
      return;
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((this.#state as ProcessState) === 'exited' && this.#child === child) {
        // Let the last output arrive before quoting it.
        await new Promise((r) => setTimeout(r, 50));
        throw new Error(
          `${this.spec.name} exited while starting (log: ${this.spec.logFile}): ${this.#tail.slice(-1500)}`,
        );
      }
      try {
        const res = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(1_000) });
        await res.body?.cancel();
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `${this.spec.name} not ready after ${String(timeoutMs)} ms (log: ${this.spec.logFile})`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.#state = 'running';
  }

  /** SIGKILL: the process dies as in a crash. Resolves when it has exited. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || this.#state === 'exited' || this.#state === 'stopped') return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.#child;
    if (child === undefined || this.#state === 'exited' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(t);
    this.#state = 'stopped';
  }

  async restart(timeoutMs?: number): Promise<void> {
    await this.kill();
    this.#state = 'stopped';
    await this.start(timeoutMs);
  }

  /** Stops the process and closes its log. Idempotent. */
  async close(): Promise<void> {
    await this.stop();
    this.#log?.end();
    this.#log = undefined;
  }
}
