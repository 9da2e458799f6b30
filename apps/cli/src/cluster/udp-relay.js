// A UDP relay for one QUIC server that can be cut: a client's packets go through it, and `cut()` drops everything
// both ways (a network drop: nothing is reset, packets just vanish) until `restore()`.
import { createSocket } from 'node:dgram';
export class UdpRelay {
  #front;
  #target;
  #upstreams = new Map();
  #cut = false;
  #port = 0;
  dropped = 0;
  constructor(target) {
    this.#target = target;
    this.#front = createSocket('udp4');
    this.#front.on('message', (msg, from) => {
      this.#fromClient(msg, from);
    });
  }
  static async listen(target) {
    const relay = new UdpRelay(target);
    await new Promise((resolve, reject) => {
      relay.#front.once('error', reject);
      relay.#front.bind(0, '127.0.0.1', () => {
        resolve();
      });
    });
    relay.#port = relay.#front.address().port;
    return relay;
  }
  get port() {
    return this.#port;
  }
  cut() {
    this.#cut = true;
  }
  restore() {
    this.#cut = false;
  }
  #fromClient(msg, from) {
    if (this.#cut) {
      this.dropped++;
      return;
    }
    const key = `${from.address}:${String(from.port)}`;
    let up = this.#upstreams.get(key);
    if (up === undefined) {
      const socket = createSocket('udp4');
      socket.on('message', (reply) => {
        if (this.#cut) {
          this.dropped++;
          return;
        }
        this.#front.send(reply, from.port, from.address);
      });
      socket.on('error', () => undefined);
      socket.bind(0, '127.0.0.1');
      this.#upstreams.set(key, socket);
      up = socket;
    }
    up.send(msg, this.#target.port, this.#target.host);
  }
  async close() {
    for (const s of this.#upstreams.values()) s.close();
    this.#upstreams.clear();
    await new Promise((resolve) => {
      this.#front.close(() => {
        resolve();
      });
    });
  }
  [Symbol.asyncDispose]() {
    return this.close();
  }
}
//# sourceMappingURL=udp-relay.js.map
