import { ManagedProcess } from './managed-process.ts';
/** Append-only file in `dir`, as a production Redis would keep: a restart brings the data back. */
export declare function redisProcess(port: number, logFile: string, dir: string): ManagedProcess;
/** Waits until Redis answers PING on `port`. */
export declare function waitForRedis(port: number, timeoutMs?: number): Promise<void>;
//# sourceMappingURL=redis-process.d.ts.map
