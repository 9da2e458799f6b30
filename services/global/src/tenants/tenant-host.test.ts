import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tenantFromHost } from './tenant-host.ts';

const BASE = 'darktower.example';

describe('tenantFromHost', () => {
  test('maps a subdomain of the base domain to its tenant', () => {
    assert.equal(tenantFromHost('acme.darktower.example', BASE), 'acme');
    assert.equal(tenantFromHost('ACME.DarkTower.Example:443', BASE), 'acme');
    assert.equal(tenantFromHost('acme.darktower.example.', BASE), 'acme');
  });

  test('base domain, www, other hosts and no base domain mean the default tenant', () => {
    for (const host of [
      'darktower.example',
      'www.darktower.example',
      'localhost:8080',
      '127.0.0.1:3000',
      '[::1]:8080',
      'other.example',
      undefined,
    ]) {
      assert.equal(tenantFromHost(host, BASE), 'default', String(host));
    }
    assert.equal(tenantFromHost('acme.darktower.example', undefined), 'default');
  });

  test('hostile hosts are refused with INVALID_REQUEST', () => {
    for (const host of [
      'a.b.darktower.example',
      '-x.darktower.example',
      'x_y.darktower.example',
      'acme.darktower.example:abc',
      'acme darktower.example',
      'acme.darktower.example/../x',
      'user@acme.darktower.example',
      '..darktower.example',
      'a'.repeat(300),
    ]) {
      assert.throws(() => tenantFromHost(host, BASE), { code: 'INVALID_REQUEST' }, host);
    }
  });

  test('never throws anything but INVALID_REQUEST and only returns DNS labels (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (host) => {
        try {
          const t = tenantFromHost(host, BASE);
          assert.match(t, /^[a-z0-9-]{1,63}$/);
        } catch (error) {
          assert.equal((error as { code?: string }).code, 'INVALID_REQUEST');
        }
      }),
    );
  });
});
