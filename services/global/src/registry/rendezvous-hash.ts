import { createHash } from 'node:crypto';

/**
 * Rendezvous (highest-random-weight) score of a key on a node: stable across processes and instances, so every
 * Global Controller ranks controllers for a meeting identically, and removing one node only moves its own keys.
 */
export function rendezvousScore(key: string, node: string): bigint {
  const digest = createHash('sha256').update(key).update('\u0000').update(node).digest();
  return digest.readBigUInt64BE(0);
}
