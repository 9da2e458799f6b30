export declare class CuttableTcpProxy implements AsyncDisposable {
  #private;
  private constructor();
  static listen(
    target: {
      host: string;
      port: number;
    },
    host?: string,
  ): Promise<CuttableTcpProxy>;
  get port(): number;
  get isCut(): boolean;
  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
//# sourceMappingURL=tcp-proxy.d.ts.map
