import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_VIDEO_CODEC_PREFERENCE } from '../media/codec-choice.ts';
import { costAwarePreference } from './codec-probe.ts';

test('hardware codecs first, then VP8, then software codecs', () => {
  assert.deepEqual(costAwarePreference([], DEFAULT_VIDEO_CODEC_PREFERENCE), ['VP8', 'VP9', 'AV1', 'H264']);
  assert.deepEqual(costAwarePreference(['H264'], DEFAULT_VIDEO_CODEC_PREFERENCE), [
    'H264',
    'VP8',
    'VP9',
    'AV1',
  ]);
  assert.deepEqual(costAwarePreference(['H264', 'VP9'], DEFAULT_VIDEO_CODEC_PREFERENCE), [
    'VP9',
    'H264',
    'VP8',
    'AV1',
  ]);
  assert.deepEqual(costAwarePreference(['VP8'], ['VP9', 'VP8']), ['VP8', 'VP9']);
});
