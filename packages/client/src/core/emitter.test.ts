import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from './emitter.ts';

interface Events {
  joined: [string, number];
  left: [];
}

test('a throwing listener is reported and does not stop the others', () => {
  const errors: unknown[] = [];
  const e = new Emitter<Events>((err) => errors.push(err));
  const got: string[] = [];
  e.on('joined', () => {
    throw new Error('boom');
  });
  const off = e.on('joined', (name, n) => got.push(`${name}${n}`));
  e.once('left', () => got.push('left'));
  e.emit('joined', 'a', 1);
  e.emit('left');
  e.emit('left');
  off();
  e.emit('joined', 'b', 2);
  assert.deepEqual(got, ['a1', 'left']);
  assert.equal(errors.length, 2);
});
