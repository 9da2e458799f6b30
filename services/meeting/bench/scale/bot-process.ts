// One bot process of the scale benchmark: its share of the participants, each on its own signaling session over
// real QUIC (WebTransport, one UDP socket per participant) or the WebSocket fallback. Joins at the rate it is
// given, then heartbeats on the protocol's interval and asks for a layout once, timing every answer.
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { connectWebSocket, connectWebTransport, type Session } from '@darktower/transport';
import { BotClient } from './bot-client.ts';
import type { BotParticipant, BotReply, BotRequest, BotSetup } from './ipc.ts';

const REQUEST_TIMEOUT_MS = 60_000;

function reply(message: BotReply): void {
  process.send?.(message);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface Live {
  readonly client: BotClient;
  heartbeat: NodeJS.Timeout | undefined;
}

class Bots {
  readonly #setup: BotSetup;
  readonly #key: KeyObject;
  readonly #live: Live[] = [];
  readonly #unsolicited = new Map<string, number>();
  #phase: 'join' | 'steady' | 'done' = 'join';
  readonly #heartbeatMs: { join: number[]; steady: number[] } = { join: [], steady: [] };
  readonly #failures: string[] = [];

  constructor(setup: BotSetup) {
    this.#setup = setup;
    this.#key = createPrivateKey(setup.keyPem);
  }

  #sign(p: BotParticipant): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ meeting_id: p.meetingId, display_name: p.sub, role: p.role })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.#setup.kid, typ: 'JWT' })
      .setIssuer(this.#setup.issuer)
      .setAudience('darktower-mc')
      .setSubject(p.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(this.#key);
  }

  async #connect(): Promise<Session> {
    const s = this.#setup;
    return s.transport === 'quic'
      ? connectWebTransport(s.url, {
          serverCertificateHashes: [Buffer.from(s.certificateHash, 'base64')],
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        })
      : connectWebSocket(s.url, { timeoutMs: REQUEST_TIMEOUT_MS });
  }

  /** One participant: connect, join, then heartbeat until the end. */
  async #joinOne(
    p: BotParticipant,
    out: { connectMs: number[]; joinMs: number[]; failures: string[] },
  ): Promise<void> {
    const token = await this.#sign(p);
    const t0 = performance.now();
    let client: BotClient | undefined;
    try {
      client = await BotClient.open(await this.#connect(), this.#unsolicited);
      const t1 = performance.now();
      const answer = await client.request(
        {
          case: 'join',
          value: { meetingId: p.meetingId, joinToken: token, participantName: p.sub, protocolVersion: 1 },
        },
        REQUEST_TIMEOUT_MS,
      );
      const t2 = performance.now();
      if (answer.kind.case !== 'joinResponse') {
        const detail =
          answer.kind.case === 'error' ? `${answer.kind.value.code} ${answer.kind.value.message}` : '';
        throw new Error(`join refused: ${String(answer.kind.case)} ${detail}`);
      }
      out.connectMs.push(t1 - t0);
      out.joinMs.push(t2 - t1);
      const live: Live = { client, heartbeat: undefined };
      this.#live.push(live);
      this.#startHeartbeats(live);
    } catch (error) {
      out.failures.push(describe(error));
      await client?.close().catch(() => undefined);
    }
  }

  #startHeartbeats(live: Live): void {
    const interval = this.#setup.heartbeatIntervalMs;
    // Random phase, so ten thousand clients do not beat in step.
    const beat = (): void => {
      if (!live.client.isOpen || this.#phase === 'done') return;
      const phase = this.#phase;
      const t0 = performance.now();
      live.client.request({ case: 'heartbeat', value: {} }, REQUEST_TIMEOUT_MS).then(
        (m) => {
          if (m.kind.case === 'heartbeatAck')
            this.#heartbeatMs[phase === 'join' ? 'join' : 'steady'].push(performance.now() - t0);
          else this.#failures.push(`heartbeat answered with ${String(m.kind.case)}`);
        },
        (error: unknown) => {
          if (this.#phase !== 'done') this.#failures.push(`heartbeat: ${describe(error)}`);
        },
      );
      live.heartbeat = setTimeout(beat, interval);
    };
    live.heartbeat = setTimeout(beat, Math.random() * interval);
  }

  async join(ratePerSec: number, maxInFlight: number): Promise<void> {
    const out = { connectMs: [] as number[], joinMs: [] as number[], failures: [] as string[] };
    const started = performance.now();
    const gapMs = 1000 / ratePerSec;
    let inFlight = 0;
    const waiting: (() => void)[] = [];
    const all: Promise<void>[] = [];
    let i = 0;
    for (const p of this.#setup.participants) {
      // Open loop at the given rate, bounded by maxInFlight (then it waits: the controller is the limit).
      const due = started + i * gapMs;
      i++;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inFlight >= maxInFlight) await new Promise<void>((r) => waiting.push(r));
      inFlight++;
      all.push(
        this.#joinOne(p, out).finally(() => {
          inFlight--;
          waiting.shift()?.();
        }),
      );
    }
    await Promise.all(all);
    reply({ type: 'joined', ...out, wallMs: performance.now() - started });
  }

  async steady(durationMs: number, layoutSpreadMs: number): Promise<void> {
    this.#phase = 'steady';
    const layoutMs: number[] = [];
    const started = performance.now();
    await Promise.all(
      this.#live.map(async (live) => {
        await new Promise((r) => setTimeout(r, Math.random() * layoutSpreadMs));
        if (!live.client.isOpen) return;
        const t0 = performance.now();
        try {
          const m = await live.client.request(
            {
              case: 'layoutRequest',
              value: {
                layout: { case: 'grid', value: { rows: 3, columns: 3 } },
                slotStreamIds: Array.from({ length: 9 }, () => randomUUID()),
                includeSelf: false,
              },
            },
            REQUEST_TIMEOUT_MS,
          );
          if (m.kind.case === 'layoutUpdate') layoutMs.push(performance.now() - t0);
          else this.#failures.push(`layout answered with ${String(m.kind.case)}`);
        } catch (error) {
          this.#failures.push(`layout: ${describe(error)}`);
        }
      }),
    );
    const left = durationMs - (performance.now() - started);
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    this.#phase = 'done';
    reply({
      type: 'steady',
      heartbeatMs: this.#heartbeatMs.steady,
      layoutMs,
      failures: this.#failures,
      joinPhaseHeartbeatMs: this.#heartbeatMs.join,
      unsolicited: Object.fromEntries(this.#unsolicited),
      sessionsOpen: this.#live.filter((l) => l.client.isOpen).length,
    });
  }

  async close(): Promise<void> {
    this.#phase = 'done';
    for (const l of this.#live) clearTimeout(l.heartbeat);
    await Promise.all(this.#live.map((l) => l.client.close().catch(() => undefined)));
    reply({ type: 'closed' });
  }
}

let bots: Bots | undefined;
process.on('message', (request: BotRequest) => {
  const run = async (): Promise<void> => {
    switch (request.type) {
      case 'setup':
        bots = new Bots(request);
        reply({ type: 'ready' });
        return;
      case 'join':
        await bots?.join(request.ratePerSec, request.maxInFlight);
        return;
      case 'steady':
        await bots?.steady(request.durationMs, request.layoutSpreadMs);
        return;
      case 'close':
        await bots?.close();
        process.disconnect();
        return;
    }
  };
  run().catch((error: unknown) => {
    process.stderr.write(`bot process failed: ${describe(error)}\n`);
    process.exit(1);
  });
});
