// Participants joining one meeting at the same moment all end up in each other's roster: ten SDK bots join at once
// over real QUIC, through the real Global Controllers, onto a Meeting Controller keeping state in real Redis (the
// local cluster of real processes). Before the SDK held signaling events until its listeners were wired, a
// ParticipantJoined that arrived while a bot was still opening its media connections was lost for good.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../src/cluster/cluster.ts';
import { createMeeting, fleetOn, signUpHost, type HostSession } from '../src/cluster/cluster-client.ts';

const BOTS = 10;
const dir = mkdtempSync(join(tmpdir(), 'dt-concurrent-'));
let cluster: Cluster | undefined;
let host: HostSession | undefined;

before(async () => {
  cluster = await Cluster.start({ dir, logLevel: 'warn' });
  host = await signUpHost(cluster);
});

after(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

for (const round of [1, 2]) {
  test(
    `${String(BOTS)} concurrent joins: every roster converges to everybody else (round ${String(round)})`,
    {
      timeout: 180_000,
    },
    async () => {
      assert.ok(cluster !== undefined && host !== undefined);
      const meeting = await createMeeting(cluster, host, `concurrent-${String(round)}`);
      const fleet = fleetOn(cluster, {
        meetings: [meeting.code],
        count: BOTS,
        publish: 'none',
        namePrefix: `concurrent-${String(round)}`,
        joinConcurrency: BOTS,
      });
      try {
        await fleet.join();
        assert.equal(fleet.progress().joined, BOTS, fleet.summary().errors.join('; '));
        const ids = new Set(fleet.bots.map((b) => b.participantId));
        assert.equal(ids.size, BOTS);
        const rosterOf = (b: (typeof fleet.bots)[number]): string[] =>
          (b.meeting?.participants ?? []).map((p) => p.participantId).sort();
        const expected = (b: (typeof fleet.bots)[number]): string[] =>
          [...ids].filter((id) => id !== b.participantId).sort();
        // Messages may still be in flight right after the last join: wait for the rosters, then compare them exactly.
        await fleet
          .until(
            (f) => f.bots.every((b) => rosterOf(b).join() === expected(b).join()),
            30_000,
            'every roster to list every other bot',
          )
          .catch(() => undefined);
        for (const b of fleet.bots) assert.deepEqual(rosterOf(b), expected(b), `${b.name}'s roster`);
      } finally {
        await fleet.close();
      }
    },
  );
}
