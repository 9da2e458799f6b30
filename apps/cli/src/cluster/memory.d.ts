export declare function residentBytes(pid: number): Promise<number | undefined>;
//# sourceMappingURL=memory.d.ts.map
