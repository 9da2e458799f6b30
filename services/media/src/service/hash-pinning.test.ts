import { mintDevCertificate } from '@darktower/transport';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { qualifiesForHashPinning } from './build-media-handler.ts';

test('a configured certificate is advertised by hash only when browsers accept it that way', async () => {
  // Short-lived ECDSA (the cluster's, the dev certificate): cascade peers and clients pin its hash.
  assert.equal(qualifiesForHashPinning((await mintDevCertificate()).certPem), true);
  // A CA-style certificate valid for a year: trusted through its CA, never pinned.
  const dir = mkdtempSync(join(tmpdir(), 'dt-cert-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '365'].concat(
      ['-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ),
    { stdio: 'ignore' },
  );
  assert.equal(qualifiesForHashPinning(readFileSync(join(dir, 'cert.pem'), 'utf8')), false);
  assert.equal(qualifiesForHashPinning('not a certificate'), false);
});
