// A UDP relay for one QUIC server that can be cut: a client's packets go through it, and `cut()` drops everything
// both ways (a network drop: nothing is reset, packets just vanish) until `restore()`.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export class UdpRelay implements AsyncDisposable {
  readonly #front: Socket;
  readonly #target: { host: string; port: number };
  readonly #upstreams = new Map<string, Socket>();
  #cut = false;
  #port = 0;
  dropped = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#front = createSocket('udp4');
    this.#front.on('message', (msg, from) => {
      this.#fromClient(msg, from);
    });
  }

  static async listen(target: { host: string; port: number }): Promise<UdpRelay> {
    const relay = new UdpRelay(target);
    await new Promise<void>((resolve, reject) => {
      relay.#front.once('error', reject);
      relay.#front.bind(0, '127.0.0.1', () => {
        resolve();
      });
    });
    relay.#port = relay.#front.address().port;
    return relay;
  }

  get port(): number {
    return this.#port;
  }

  cut(): void {
    this.#cut = true;
  }

  restore(): void {
    this.#cut = false;
  }

  #fromClient(msg: Buffer, from: RemoteInfo): void {
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

  async close(): Promise<void> {
    for (const s of this.#upstreams.values()) s.close();
    this.#upstreams.clear();
    await new Promise<void>((resolve) => {
      this.#front.close(() => {
        resolve();
      });
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
