export interface ProxyOptions {
  readonly host?: string;
  readonly port?: number;
  /** Base URLs (http://host:port) of the Global Controllers. */
  readonly global: () => readonly string[];
  /** Base URLs of the Auth Controllers. */
  readonly auth: () => readonly string[];
  /** JSON served at /api/v1/dev/transport. */
  readonly devTransport?: () => unknown;
}
export interface ProxyStats {
  requests: number;
  retried: number;
  failed: number;
}
export declare class RoundRobinProxy implements AsyncDisposable {
  #private;
  readonly stats: ProxyStats;
  private constructor();
  static listen(options: ProxyOptions): Promise<RoundRobinProxy>;
  get url(): string;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
//# sourceMappingURL=round-robin-proxy.d.ts.map
