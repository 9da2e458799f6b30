import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clientKey } from './client-key.ts';

test('IPv6 is keyed by /64, IPv4 and mapped IPv4 by address', () => {
  assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:0db8:0001:0002:ffff::9'), '2001:db8:1:2::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('not-an-ip'), 'not-an-ip');
});

test('property: every address of one /64 shares a key', () => {
  const hextet = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  fc.assert(
    fc.property(
      fc.array(hextet, { minLength: 4, maxLength: 4 }),
      fc.array(hextet, { minLength: 4, maxLength: 4 }),
      fc.array(hextet, { minLength: 4, maxLength: 4 }),
      (prefix, a, b) => {
        return clientKey([...prefix, ...a].join(':')) === clientKey([...prefix, ...b].join(':'));
      },
    ),
  );
});
