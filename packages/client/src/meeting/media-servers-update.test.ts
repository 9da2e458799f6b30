import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { MediaServerInfoSchema, type MediaServerInfo } from '@darktower/protocol';
import { MAX_MEDIA_SERVERS, planMediaServers } from './media-servers-update.ts';

const server = (
  handlerId: string,
  over: { mediaHandlerUrl?: string; connectionToken?: string } = {},
): MediaServerInfo =>
  create(MediaServerInfoSchema, {
    handlerId,
    mediaHandlerUrl: `https://${handlerId}.test:4434/media`,
    connectionToken: `token-${handlerId}`,
    ...over,
  });

describe('planMediaServers: what a MediaServersUpdate asks for, or why it is refused', () => {
  test('connects to the handlers not connected yet, keeps the controller order (primary first)', () => {
    const plan = planMediaServers([server('b', { connectionToken: '' }), server('c')], new Set(['a', 'b']));
    assert.ok(plan.ok);
    assert.deepEqual(plan.order, ['b', 'c']);
    assert.deepEqual(
      plan.connect.map((s) => s.handlerId),
      ['c'],
      'b is connected already (no token needed); a is not listed',
    );
  });

  test('refuses an empty list, a duplicate id, an empty id and an overlong list', () => {
    assert.equal(planMediaServers([], new Set(['a'])).ok, false);
    assert.equal(planMediaServers([server('a'), server('a')], new Set()).ok, false);
    assert.equal(planMediaServers([server('')], new Set()).ok, false);
    const many = Array.from({ length: MAX_MEDIA_SERVERS + 1 }, (_, i) => server(`h${String(i)}`));
    assert.equal(planMediaServers(many, new Set()).ok, false);
  });

  test('refuses a new handler under a bad URL or with an oversized token', () => {
    for (const mediaHandlerUrl of [
      '',
      'not a url',
      'http://plain.test/media',
      'javascript:alert(1)',
      'https://',
    ]) {
      const plan = planMediaServers([server('a', { mediaHandlerUrl })], new Set());
      assert.equal(plan.ok, false, mediaHandlerUrl);
    }
    assert.equal(planMediaServers([server('a', { connectionToken: 'x'.repeat(5000) })], new Set()).ok, false);
    // The same entry is fine for a handler already connected: nothing is taken from it.
    assert.ok(
      planMediaServers([server('a', { mediaHandlerUrl: '', connectionToken: '' })], new Set(['a'])).ok,
    );
  });

  test('a handler listed without a token that we are not connected to is skipped alone', () => {
    const plan = planMediaServers([server('b', { connectionToken: '' }), server('c')], new Set(['a']));
    assert.ok(plan.ok);
    assert.deepEqual(plan.order, ['b', 'c']);
    assert.deepEqual(plan.skipped, ['b']);
    assert.deepEqual(
      plan.connect.map((s) => s.handlerId),
      ['c'],
    );
  });
});
