// Worker-thread entry of the cluster's front (front-thread.ts): runs the RoundRobinProxy on this thread's own event
// loop, takes backend lists from the parent, and mirrors its counters into the shared array the parent reads.
import { parentPort, workerData } from 'node:worker_threads';
import { RoundRobinProxy } from './round-robin-proxy.ts';
import { isFrontMessage, type FrontInit } from './front-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('front-worker.ts runs as a worker thread');
const init = workerData as FrontInit;
const counters = new Int32Array(init.stats);
let global: readonly string[] = init.global;
let auth: readonly string[] = init.auth;
const proxy = await RoundRobinProxy.listen({
  host: init.host,
  ...(init.port === undefined ? {} : { port: init.port }),
  global: () => global,
  auth: () => auth,
  ...(init.devTransport === undefined ? {} : { devTransport: () => init.devTransport }),
});
const mirror = setInterval(() => {
  Atomics.store(counters, 0, proxy.stats.requests);
  Atomics.store(counters, 1, proxy.stats.retried);
  Atomics.store(counters, 2, proxy.stats.failed);
}, 50);
port.on('message', (message: unknown) => {
  if (!isFrontMessage(message)) return;
  if (message.type === 'backends') {
    global = message.global;
    auth = message.auth;
    return;
  }
  clearInterval(mirror);
  void proxy.close().then(() => {
    port.postMessage({ type: 'closed' });
    port.close();
  });
});
port.postMessage({ type: 'ready', url: proxy.url });
