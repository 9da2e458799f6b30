export declare class UdpRelay implements AsyncDisposable {
  #private;
  dropped: number;
  private constructor();
  static listen(target: { host: string; port: number }): Promise<UdpRelay>;
  get port(): number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
//# sourceMappingURL=udp-relay.d.ts.map
