// End-to-end encryption through the real stack (issue 9): the one-process dev stack (Auth, Global and Meeting
// Controllers, a Media Handler) over real QUIC on loopback, SDK participants in Node. Participants join the MLS group
// through the Meeting Controller's Delivery Service, encrypt every frame with SFrame and decrypt what the others send;
// what the Media Handler forwards is the sender's ciphertext byte for byte and does not decrypt without the group
// key; tampered, replayed and unknown-KID frames are dropped and counted; a participant that left cannot decrypt
// later epochs; a meeting created with `enable_e2e_encryption: false` runs without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DarkTowerApi,
  Meeting,
  readSyntheticPayload,
  SyntheticSource,
  type E2eeKeyring,
  type FrameTransform,
  type RemoteFrame,
} from '@darktower/client';
import {
  decodeSframeHeader,
  encodeSframeHeader,
  isSframeError,
  MlsSframeKeyring,
  type MlsEpochSnapshot,
} from '@darktower/e2ee';
import { callApi } from '../src/api-client.ts';
import { startDevStack, type DevStack } from '../src/dev/dev-stack.ts';
import { botConnector, devCertificateHashes } from '../src/bot/bot-connector.ts';
import { until } from './support/until.ts';

const password = 'correct horse battery staple';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Stack extends AsyncDisposable {
  readonly stack: DevStack;
  createMeeting(settings?: Record<string, unknown>): Promise<{ code: string; e2ee: boolean }>;
  join(
    code: string,
    name: string,
    extra?: { transform?: FrameTransform; keyring?: () => E2eeKeyring },
  ): Promise<Meeting>;
}

async function startStack(): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-e2ee-'));
  const stack = await startDevStack({ port: 0, dataDir, logLevel: 'silent' });
  const meetings: Meeting[] = [];
  await callApi(stack.url, {
    method: 'POST',
    path: '/api/v1/users',
    json: { username: 'host', password, display_name: 'Host' },
  });
  const login = await callApi<{ access_token: string }>(stack.url, {
    method: 'POST',
    path: '/v1/auth/user/token',
    json: { username: 'host', password },
  });
  const hashes = await devCertificateHashes(stack.url);
  const connector = botConnector(hashes);
  return {
    stack,
    createMeeting: async (settings = {}) => {
      const create = (): Promise<{ meeting_url: string; meeting_id: string }> =>
        callApi(stack.url, {
          method: 'POST',
          path: '/api/v1/meetings',
          token: login.access_token,
          json: {
            display_name: 'E2EE',
            max_participants: 10,
            settings: { require_auth: false, ...settings },
          },
        });
      // On a loaded machine the Meeting Controller may not have registered with the Global Controller yet: the
      // answer is 503 CAPACITY_EXCEEDED (retry later), as for any client.
      const deadline = Date.now() + 60_000;
      let created: { meeting_url: string; meeting_id: string };
      for (;;) {
        try {
          created = await create();
          break;
        } catch (error) {
          const status = (error as { status?: unknown }).status;
          if (status !== 503 || Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      const info = await callApi<{ settings: { enable_e2e_encryption: boolean } }>(stack.url, {
        method: 'GET',
        path: `/api/v1/meetings/${created.meeting_id}`,
        token: login.access_token,
      });
      return { code: created.meeting_url.split('/').at(-1) ?? '', e2ee: info.settings.enable_e2e_encryption };
    },
    join: async (code, name, extra = {}) => {
      const m = await Meeting.join(
        {
          api: new DarkTowerApi({ baseUrl: stack.url }),
          connector,
          meeting: code,
          displayName: name,
          ...(extra.transform === undefined ? {} : { transform: extra.transform }),
          ...(extra.keyring === undefined ? {} : { e2ee: { keyring: extra.keyring } }),
        },
        AbortSignal.timeout(30_000),
      );
      m.events.on('error', () => undefined);
      meetings.push(m);
      return m;
    },
    [Symbol.asyncDispose]: async () => {
      // A failed assertion must not leave a source running (it would keep the test process alive).
      for (const halt of [...running]) await halt();
      for (const m of meetings) await m.close();
      await stack[Symbol.asyncDispose]();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Publishes a synthetic camera until the returned function is called (or the test ends). */
const running = new Set<() => Promise<void>>();
async function camera(m: Meeting, fps = 30): Promise<() => Promise<void>> {
  const publication = await m.publish({
    kind: 'camera',
    codec: 'VP8',
    width: 320,
    height: 180,
    framerate: fps,
  });
  const source = new SyntheticSource({ kind: 'video', fps, size: 1200 });
  publication.events.on('keyframeRequested', () => {
    source.requestKeyframe();
  });
  const stop = new AbortController();
  const run = source.run((f) => publication.send(f), stop.signal);
  const halt = async (): Promise<void> => {
    running.delete(halt);
    stop.abort();
    await run;
  };
  running.add(halt);
  return halt;
}

/** Valid synthetic frames a meeting receives from one participant. */
function collect(m: Meeting, from: () => string): { frames: RemoteFrame[]; corrupt: number } {
  const out = { frames: [] as RemoteFrame[], corrupt: 0 };
  m.events.on('remoteFrame', (f) => {
    if (f.participantId !== from() || f.kind !== 'camera') return;
    if (readSyntheticPayload(f.payload) === undefined) out.corrupt++;
    else out.frames.push(f);
  });
  return out;
}

function activeEpoch(m: Meeting): { epoch: bigint; code: string } | undefined {
  const s = m.e2ee.state;
  return s?.state === 'active' ? { epoch: s.epoch, code: s.verificationCode } : undefined;
}

/** Every meeting is in the same MLS epoch (with `members` members) and shows the same verification code. */
function sameEpoch(meetings: Meeting[], members: number): { epoch: bigint; code: string } | undefined {
  const states = meetings.map((m) => m.e2ee.state);
  if (!states.every((s) => s?.state === 'active' && s.members.length === members)) return undefined;
  const [head] = meetings;
  const first = head === undefined ? undefined : activeEpoch(head);
  if (first === undefined) return undefined;
  return meetings.every((m) => {
    const e = activeEpoch(m);
    return e?.epoch === first.epoch && e.code === first.code;
  })
    ? first
    : undefined;
}

/** A wire-side transform that records every frame it sees (sent ciphertext, or what arrives from the handler). */
function recorder(): FrameTransform & { sent: Uint8Array[]; received: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  const received: Uint8Array[] = [];
  return {
    sent,
    received,
    encrypt: (p) => {
      sent.push(p.slice());
      return p;
    },
    decrypt: (p) => {
      received.push(p.slice());
      return p;
    },
  };
}

test(
  'E2EE by default: three participants exchange SFrame media through the real stack; the handler only ever carries ciphertext; a leaver cannot decrypt later epochs',
  { timeout: 240_000 },
  async () => {
    await using s = await startStack();
    const meeting = await s.createMeeting();
    assert.equal(meeting.e2ee, true, 'new meetings have E2EE on by default');

    const aliceWire = recorder();
    const bobWire = recorder();
    const alice = await s.join(meeting.code, 'Alice', { transform: aliceWire });
    const bob = await s.join(meeting.code, 'Bob', { transform: bobWire });
    assert.equal(alice.e2ee.mode, 'e2ee');
    assert.equal(bob.e2ee.mode, 'e2ee');
    const two = await until('Alice and Bob share an MLS epoch', () => sameEpoch([alice, bob], 2));
    assert.match(two.code, /^\d{5}( \d{5}){5}$/);

    const bobGets = collect(bob, () => alice.participantId);
    const stopAlice = await camera(alice);
    await bob.setLayout({ kind: 'grid', rows: 1, columns: 2 });
    await until('Bob decrypts 30 of Alice’s frames', () => (bobGets.frames.length >= 30 ? true : undefined));
    assert.equal(bobGets.corrupt, 0);
    assert.ok(alice.e2ee.stats !== undefined && alice.e2ee.stats.framesEncrypted >= 30);

    // What the Media Handler forwarded to Bob is exactly what Alice sent: SFrame ciphertext.
    const sentByAlice = new Set(aliceWire.sent.map(hex));
    const forwarded = bobWire.received.filter((p) => sentByAlice.has(hex(p)));
    assert.ok(forwarded.length >= 30, `forwarded frames equal to sent ciphertext: ${forwarded.length}`);
    for (const p of forwarded) {
      assert.equal(readSyntheticPayload(p), undefined, 'no plaintext frame on the wire');
      assert.ok(
        !Buffer.from(p).includes(Buffer.from('DTSY')),
        'the synthetic magic does not appear in clear',
      );
      decodeSframeHeader(p); // every forwarded frame carries an SFrame header
    }
    // It does not decrypt without the group key: a keyring of the same epoch and members but another key fails.
    const alienSnapshot = (): MlsEpochSnapshot => ({
      epoch: two.epoch,
      ownLeafIndex: 0,
      memberLeafIndices: [0, 1, 2, 3],
      sframeBaseKey: crypto.getRandomValues(new Uint8Array(16)),
    });
    const alien = new MlsSframeKeyring();
    await alien.setEpoch(alienSnapshot());
    for (const p of forwarded.slice(0, 10))
      await assert.rejects(alien.decrypt(p), (e: unknown) => isSframeError(e, 'AUTH_FAILED'));
    await alien.close();

    // Carol joins: a new epoch for everybody, one verification code. Her client "keeps" its keys (a keyring that
    // ignores close and never expires old epochs), as a malicious leaver would.
    let carolKeys: MlsSframeKeyring | undefined;
    const carol = await s.join(meeting.code, 'Carol', {
      keyring: () => {
        const inner = new MlsSframeKeyring({ graceMs: 3_600_000 });
        carolKeys = inner;
        return {
          setEpoch: (snap) => inner.setEpoch(snap),
          retire: () => undefined,
          encrypt: (f) => inner.encrypt(f),
          decrypt: (c) => inner.decrypt(c),
          close: () => Promise.resolve(),
          closed: new Promise<void>(() => undefined),
        };
      },
    });
    const three = await until('three share an epoch', () => sameEpoch([alice, bob, carol], 3));
    assert.ok(three.epoch > two.epoch);
    assert.notEqual(three.code, two.code, 'the code changes with the epoch');
    const carolGets = collect(carol, () => alice.participantId);
    await carol.setLayout({ kind: 'grid', rows: 1, columns: 2 });
    await until('Carol decrypts 20 of Alice’s frames', () =>
      carolGets.frames.length >= 20 ? true : undefined,
    );
    assert.equal(carolGets.corrupt, 0);

    // Carol leaves; the group moves on without her.
    await carol.leave();
    const after = await until('Alice and Bob move to an epoch without Carol', () => {
      const e = sameEpoch([alice, bob], 2);
      return e !== undefined && e.epoch > three.epoch ? e : undefined;
    });
    const bobSeen = bobWire.received.length;
    const bobDecrypted = bobGets.frames.length;
    await until(
      'Bob decrypts 20 more of Alice’s frames',
      () => (bobGets.frames.length >= bobDecrypted + 20 ? true : undefined),
      60_000,
      () =>
        JSON.stringify(
          {
            bobWireReceived: bobWire.received.length - bobSeen,
            bobDecrypted: bobGets.frames.length - bobDecrypted,
            bob: bob.e2ee.stats,
            bobState: bob.e2ee.state,
            aliceState: alice.e2ee.state,
            alice: alice.e2ee.stats,
            bobSlots: bob.layoutSlots,
            alicePid: alice.participantId,
          },
          (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
        ),
    );
    const sentNow = new Set(aliceWire.sent.map(hex));
    const later = bobWire.received
      .slice(bobSeen)
      .filter((p) => sentNow.has(hex(p)))
      .filter((p) => (decodeSframeHeader(p).kid & 0xffn) === after.epoch % 256n);
    assert.ok(later.length >= 10, `frames of the epoch after Carol left: ${later.length}`);
    assert.ok(carolKeys !== undefined);
    for (const p of later.slice(0, 10))
      await assert.rejects(carolKeys.decrypt(p), (e: unknown) => isSframeError(e, 'UNKNOWN_KID'));
    await carolKeys.close();
    await stopAlice();
  },
);

test(
  'tampered, replayed and unknown-KID frames are dropped and counted, never delivered',
  { timeout: 180_000 },
  async () => {
    await using s = await startStack();
    const { code } = await s.createMeeting();
    // Mallory's wire transform damages some of her own (already encrypted) frames.
    let n = 0;
    let previous: Uint8Array | undefined;
    const damage: FrameTransform = {
      encrypt: (p) => {
        const i = n++;
        const last = previous;
        previous = p;
        if (i % 10 === 3) {
          const t = p.slice();
          t[t.length - 1] = (t.at(-1) ?? 0) ^ 0x01; // flip a tag bit
          return t;
        }
        if (i % 10 === 5 && last !== undefined) return last; // the previous frame again
        if (i % 10 === 7) {
          const h = decodeSframeHeader(p);
          // Same epoch bits, a leaf index nobody has.
          const forged = encodeSframeHeader({ kid: h.kid | (0x7fffn << 8n), ctr: h.ctr });
          const out = new Uint8Array(forged.length + p.length - h.length);
          out.set(forged);
          out.set(p.subarray(h.length), forged.length);
          return out;
        }
        if (i % 10 === 9) return new Uint8Array([0xff]); // a header that promises an 8-byte KID and ends
        return p;
      },
      decrypt: (p) => p,
    };
    const mallory = await s.join(code, 'Mallory', { transform: damage });
    const bob = await s.join(code, 'Bob');
    await until('both in one epoch', () => sameEpoch([mallory, bob], 2));
    const dropped: string[] = [];
    bob.e2ee.events.on('frameDropped', (d) => dropped.push(d.reason));
    const got = collect(bob, () => mallory.participantId);
    const stop = await camera(mallory);
    await bob.setLayout({ kind: 'grid', rows: 1, columns: 2 });
    await until('Bob has dropped each kind of bad frame', () => {
      const d = bob.e2ee.stats?.dropped;
      return d !== undefined &&
        d.tampered >= 2 &&
        d.replayed >= 2 &&
        d['unknown-kid'] >= 2 &&
        d.malformed >= 2
        ? true
        : undefined;
    });
    await stop();
    const stats = bob.e2ee.stats;
    assert.ok(stats !== undefined);
    assert.equal(got.corrupt, 0, 'no damaged frame reached the application');
    assert.ok(got.frames.length >= 10);
    for (const reason of ['tampered', 'replayed', 'unknown-kid', 'malformed'])
      assert.ok(dropped.includes(reason), `frameDropped(${reason}) emitted`);
    // Every delivered frame is one Mallory's encoder produced, once.
    const indices = got.frames.map((f) => readSyntheticPayload(f.payload)?.index);
    assert.equal(new Set(indices).size, indices.length, 'no frame delivered twice');
    assert.equal(bob.state.state, 'joined');
  },
);

test(
  'a meeting created with enable_e2e_encryption: false runs without E2EE',
  { timeout: 120_000 },
  async () => {
    await using s = await startStack();
    const meeting = await s.createMeeting({ enable_e2e_encryption: false });
    assert.equal(meeting.e2ee, false);
    const bobWire = recorder();
    const alice = await s.join(meeting.code, 'Alice');
    const bob = await s.join(meeting.code, 'Bob', { transform: bobWire });
    assert.equal(alice.e2ee.mode, 'none');
    assert.equal(bob.e2ee.mode, 'none');
    assert.equal(bob.e2ee.state, undefined);
    const got = collect(bob, () => alice.participantId);
    const stop = await camera(alice);
    await bob.setLayout({ kind: 'grid', rows: 1, columns: 2 });
    await until('Bob receives 20 frames', () => (got.frames.length >= 20 ? true : undefined));
    await stop();
    // The wire carries the frames as they were encoded.
    assert.ok(bobWire.received.some((p) => readSyntheticPayload(p) !== undefined));
  },
);
