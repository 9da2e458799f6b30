import { type TestDatabase } from '@darktower/data/testing';
import { ManagedProcess } from './managed-process.ts';
import { RoundRobinProxy } from './round-robin-proxy.ts';
import { CuttableTcpProxy } from './tcp-proxy.ts';
export interface ClusterOptions {
  /** Folder for logs, the auth master key and certificates (created). */
  readonly dir: string;
  readonly globalControllers?: number;
  readonly meetingControllers?: number;
  readonly mediaHandlers?: number;
  readonly logLevel?: string;
  /** Port of the HTTP front (0 = free one). */
  readonly port?: number;
  /** Stop processes gracefully on close (default true); false kills them. */
  readonly onProgress?: (line: string) => void;
}
export interface ServiceProcess {
  readonly name: string;
  readonly kind: 'auth' | 'global' | 'meeting' | 'media';
  readonly process: ManagedProcess;
  /** HTTP base of the service's API / RPC port. */
  readonly baseUrl: string;
  readonly opsUrl: string;
}
export declare class Cluster implements AsyncDisposable {
  #private;
  readonly dir: string;
  readonly services: ServiceProcess[];
  readonly redis: ManagedProcess;
  readonly redisPort: number;
  readonly proxy: RoundRobinProxy;
  readonly pgRelay: CuttableTcpProxy;
  readonly database: TestDatabase;
  readonly certificateHash: Uint8Array;
  readonly redisPrefix: string;
  private constructor();
  /** The public origin (REST APIs, /api/v1/dev/transport). */
  get url(): string;
  byKind(kind: ServiceProcess['kind']): ServiceProcess[];
  service(name: string): ServiceProcess;
  static start(options: ClusterOptions): Promise<Cluster>;
  /** Stops every process, the front and the relay, and drops the database. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
/** A client-credentials access token from the cluster's Auth Controller. */
export declare function clientToken(origin: string, clientId: string, clientSecret: string): Promise<string>;
//# sourceMappingURL=cluster.d.ts.map
