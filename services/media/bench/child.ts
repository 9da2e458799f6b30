import { fork, type ChildProcess } from 'node:child_process';

/** A bench child process spoken to over IPC with request ids. */
export class Child {
  readonly #proc: ChildProcess;
  readonly #waiting = new Map<number, (m: Record<string, unknown>) => void>();
  #next = 1;
  readonly ready: Promise<Record<string, unknown>>;

  constructor(script: string, extraExecArgv: readonly string[] = []) {
    this.#proc = fork(script, [], {
      execArgv: ['--conditions=source', '--import', 'tsx', ...extraExecArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.#proc.once('error', reject);
      this.#proc.on('message', (m: Record<string, unknown>) => {
        if (m.type === 'ready') resolve(m);
        const id = typeof m.id === 'number' ? m.id : undefined;
        if (id !== undefined) {
          this.#waiting.get(id)?.(m);
          this.#waiting.delete(id);
        }
      });
    });
  }

  ask<T = Record<string, unknown>>(message: Record<string, unknown>): Promise<T> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve as (m: Record<string, unknown>) => void);
      this.#proc.send({ ...message, id });
    });
  }

  async exit(): Promise<void> {
    const exited = new Promise<void>((resolve) =>
      this.#proc.once('exit', () => {
        resolve();
      }),
    );
    this.#proc.send({ type: 'exit' });
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

export interface CpuMem {
  cpu: NodeJS.CpuUsage;
  mem: NodeJS.MemoryUsage;
}
