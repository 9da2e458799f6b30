export declare function freeTcpPort(host?: string): Promise<number>;
/** A port free for both UDP and TCP (WebTransport on UDP; the same number is then safe to reuse for nothing else). */
export declare function freeUdpPort(host?: string): Promise<number>;
//# sourceMappingURL=ports.d.ts.map
