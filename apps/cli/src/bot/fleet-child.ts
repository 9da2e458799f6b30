// Child-process entry of a fleet split over processes (fleet-processes.ts): runs one BotFleet and answers the
// parent over the IPC channel. Bots are CPU-hungry (QUIC, SFrame, MLS in JavaScript); in a process of their own a
// saturated fleet slows only its own measurements, never the cluster's front, relays or bookkeeping.
import { BotFleet } from './bot-fleet.ts';
import { botConnector, decodeHashes } from './bot-connector.ts';
import { isParentMessage, shardReport, type ChildMessage, type ShardInit } from './fleet-protocol.ts';

function send(message: ChildMessage): void {
  process.send?.(message);
}

let fleet: BotFleet | undefined;
let joining: Promise<void> | undefined;

function start(init: ShardInit): BotFleet {
  const { certificateHashes, ...options } = init;
  return new BotFleet({ ...options, connector: botConnector(decodeHashes(certificateHashes)) });
}

process.on('message', (message: unknown) => {
  if (!isParentMessage(message)) return;
  switch (message.type) {
    case 'start':
      fleet ??= start(message.init);
      joining ??= fleet.join().then(() => {
        send({ type: 'joined' });
      });
      return;
    case 'progress':
      if (fleet !== undefined) send({ type: 'progress', id: message.id, progress: fleet.progress() });
      return;
    case 'counts':
      send({
        type: 'counts',
        id: message.id,
        bots: (fleet?.bots ?? []).map((b) => ({ sent: b.framesSent, received: b.framesReceived })),
      });
      return;
    case 'report':
      if (fleet !== undefined) send({ type: 'report', id: message.id, report: shardReport(fleet) });
      return;
    case 'close':
      void (fleet?.close() ?? Promise.resolve()).then(() => {
        send({ type: 'closed' });
        process.disconnect();
      });
      return;
  }
});
// The parent gone (killed, crashed): the bots leave and the process ends.
process.on('disconnect', () => {
  void (fleet?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
send({ type: 'ready' });
