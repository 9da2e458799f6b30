import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypedEmitter } from './typed-emitter.ts';

type ParticipantId = string & { readonly __brand: 'ParticipantId' };
interface RoomEvents {
  joined: [ParticipantId, string];
  closed: [];
}

class Room extends TypedEmitter<RoomEvents> {}

test('listeners get typed arguments in order; off() and once() work', () => {
  const room = new Room();
  const seen: string[] = [];
  const off = room.on('joined', (id, name) => seen.push(`a:${id}:${name}`));
  room.once('joined', (id) => seen.push(`once:${id}`));
  assert.equal(room.emit('joined', 'p1' as ParticipantId, 'Ann'), true);
  room.emit('joined', 'p2' as ParticipantId, 'Bob');
  off();
  assert.equal(room.emit('joined', 'p3' as ParticipantId, 'Cy'), false);
  assert.deepEqual(seen, ['a:p1:Ann', 'once:p1', 'a:p2:Bob']);
  assert.equal(room.listenerCount('joined'), 0);
});

test('a throwing listener is reported and does not stop the others', () => {
  const errors: [unknown, string][] = [];
  const room = new Room({ onListenerError: (error, event) => errors.push([error, event]) });
  const seen: string[] = [];
  room.on('closed', () => {
    throw new Error('listener broke');
  });
  room.on('closed', () => seen.push('second'));
  assert.doesNotThrow(() => room.emit('closed'));
  room.emit('closed');
  assert.deepEqual(seen, ['second', 'second']);
  assert.equal(errors.length, 2);
  assert.equal((errors[0]?.[0] as Error).message, 'listener broke');
  assert.equal(errors[0]?.[1], 'closed');
});

test('a rejecting async listener is reported too', async () => {
  const { promise, resolve } = Promise.withResolvers<unknown>();
  const room = new Room({
    onListenerError: (error) => {
      resolve(error);
    },
  });
  room.on('closed', () => Promise.reject(new Error('async broke')));
  room.emit('closed');
  assert.equal(((await promise) as Error).message, 'async broke');
});

test('a throwing error handler does not break emit either; its failure becomes a process warning', async () => {
  const room = new Room({
    onListenerError: () => {
      throw new Error('reporter broke');
    },
  });
  let after = false;
  room.on('closed', () => {
    throw new Error('x');
  });
  room.on('closed', () => {
    after = true;
  });
  const warning = Promise.withResolvers<Error>();
  process.once('warning', warning.resolve);
  assert.doesNotThrow(() => room.emit('closed'));
  assert.ok(after);
  assert.match((await warning.promise).message, /reporter broke/);
});

test('listeners added or removed during emit do not disturb the current emit', () => {
  const room = new Room();
  const seen: string[] = [];
  room.on('closed', () => {
    seen.push('a');
    room.on('closed', () => seen.push('added'));
  });
  room.on('closed', () => seen.push('b'));
  room.emit('closed');
  assert.deepEqual(seen, ['a', 'b']);
  room.removeAllListeners();
  assert.equal(room.listenerCount('closed'), 0);
});
