import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KnownFourCC, randomStreamId } from '@darktower/protocol';
import { LocalPublication } from '../meeting/local-publication.ts';
import { SimulcastPublication } from './simulcast-publication.ts';

test('closing finishes every layer, then unpublishes the group, once; one sequence across layers', async () => {
  const closed: string[] = [];
  const pub = (name: string): LocalPublication =>
    new LocalPublication(randomStreamId(), 'camera', KnownFourCC.VP9, () => {
      closed.push(name);
      return Promise.resolve();
    });
  const layer = (layerId: string, height: number) => ({
    layerId,
    width: (height * 4) / 3,
    height,
    maxBitrate: height * 1000,
    maxFramerate: 30,
    publication: pub(layerId),
  });
  const sim = new SimulcastPublication(pub('group'), [layer('q', 120), layer('h', 240), layer('f', 480)]);
  assert.equal(sim.streamId, sim.group.streamId);
  assert.deepEqual([sim.nextSequence(), sim.nextSequence(), sim.nextSequence()], [1, 2, 3]);
  await Promise.all([sim.close(), sim.close()]);
  await sim[Symbol.asyncDispose]();
  assert.deepEqual(closed, ['q', 'h', 'f', 'group']);
  assert.ok(sim.isClosed);
  assert.ok(sim.layers.every((l) => l.publication.isClosed));
});
