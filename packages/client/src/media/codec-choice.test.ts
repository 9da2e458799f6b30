import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseVideoCodec, videoCodecName } from './codec-choice.ts';

test('codec names from our names, FourCCs and WebCodecs strings', () => {
  assert.equal(videoCodecName('vp8'), 'VP8');
  assert.equal(videoCodecName('VP09'), 'VP9');
  assert.equal(videoCodecName('vp09.00.10.08'), 'VP9');
  assert.equal(videoCodecName('av01.0.04M.08'), 'AV1');
  assert.equal(videoCodecName('avc1.42001f'), 'H264');
  assert.equal(videoCodecName('Opus'), undefined);
});

test('the first preferred codec every participant decodes; VP8 as the floor', () => {
  const all = ['VP8', 'VP9', 'AV1', 'H264'];
  assert.equal(chooseVideoCodec(all, []), 'VP9', 'alone: the first preference');
  assert.equal(chooseVideoCodec(all, [['VP8', 'VP9']]), 'VP9');
  assert.equal(chooseVideoCodec(all, [['VP8', 'AV1']]), 'AV1');
  assert.equal(chooseVideoCodec(all, [['VP8', 'VP9'], ['VP8']]), 'VP8', 'one VP8-only subscriber');
  assert.equal(chooseVideoCodec(all, [[]]), 'VP8', 'a client that named nothing decodes VP8');
  assert.equal(chooseVideoCodec(['VP8'], [all]), 'VP8', 'what we cannot encode is never chosen');
  assert.equal(chooseVideoCodec(all, [['h264']], ['H264', 'VP8']), 'H264', 'case-insensitive');
  assert.equal(chooseVideoCodec(['VP9'], [['AV1']]), 'VP8');
});
