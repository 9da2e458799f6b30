import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotRestart } from './slot-restart.ts';

test('a slot starts over for a new source, and for a key frame behind the frames received (a layer switch)', () => {
  const r = new SlotRestart();
  assert.equal(r.next('g1', 1, true), 'source');
  assert.equal(r.next('g1', 2, false), undefined);
  assert.equal(r.next('g1', 3, false), undefined);
  assert.equal(r.next('g1', 4, false), undefined);
  // The handler switched the slot to another layer at its key frame for capture 3, after the old layer's 4.
  assert.equal(r.next('g1', 3, true), 'layer');
  assert.equal(r.next('g1', 4, false), undefined, 'the new layer continues from its key frame');
  assert.equal(r.next('g1', 5, false), undefined);
  // A periodic key frame ahead of what was received is no restart.
  assert.equal(r.next('g1', 6, true), undefined);
  // Another source in the slot: its numbering is its own.
  assert.equal(r.next('g2', 2, false), 'source');
  assert.equal(r.next('g2', 3, true), undefined);
  assert.equal(r.layerSwitches, 1);
});
