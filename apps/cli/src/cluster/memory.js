// Resident memory of a process from /proc (Linux), in bytes; undefined when the process is gone.
import { readFile } from 'node:fs/promises';
export async function residentBytes(pid) {
  try {
    const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
//# sourceMappingURL=memory.js.map
