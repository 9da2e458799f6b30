// Certificates: the minted development certificate is what Chromium accepts for serverCertificateHashes,
// PEM files work for production, and renewal switches new connections to a new certificate and hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { certificateFromPem, mintDevCertificate } from '../src/webtransport/certificate.ts';
import { connectWebTransport } from '../src/webtransport/client.ts';
import { createWebTransportServer } from '../src/webtransport/server.ts';
import { isTransportError } from '../src/webtransport/transport-error.ts';
import { serveEcho } from '../src/demo/echo-handlers.ts';
import { echoOnce, within } from './helpers.ts';

test('the dev certificate is ECDSA P-256, valid for at most 14 days, and its hash is SHA-256 of the DER', async () => {
  const cert = await mintDevCertificate();
  const x = new X509Certificate(cert.certPem);
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const validity = new Date(x.validTo).getTime() - new Date(x.validFrom).getTime();
  assert.ok(validity <= 14 * 24 * 3600 * 1000);
  assert.equal(Buffer.from(cert.sha256).toString('hex'), createHash('sha256').update(x.raw).digest('hex'));
  assert.ok(x.checkIP('127.0.0.1'));
  await assert.rejects(mintDevCertificate({ validityMs: 15 * 24 * 3600 * 1000 }), (e: unknown) =>
    isTransportError(e, 'INVALID_CONFIG'),
  );
  assert.throws(
    () => certificateFromPem('not a pem', cert.keyPem),
    (e: unknown) => isTransportError(e, 'INVALID_CONFIG'),
  );
  const other = await mintDevCertificate();
  assert.throws(() => certificateFromPem(cert.certPem, other.keyPem), /does not match/);
});

test('a server with PEM files serves sessions', async () => {
  const pem = await mintDevCertificate();
  const dir = await mkdtemp(path.join(tmpdir(), 'dt-cert-'));
  await writeFile(path.join(dir, 'cert.pem'), pem.certPem);
  await writeFile(path.join(dir, 'key.pem'), pem.keyPem);
  const server = createWebTransportServer({
    cert: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') },
    onSession: serveEcho,
  });
  const { port } = await server.listen();
  try {
    assert.deepEqual(server.certificateHash(), pem.sha256);
    const s = await connectWebTransport(`https://127.0.0.1:${String(port)}/`, {
      serverCertificateHashes: [pem.sha256],
    });
    assert.equal(Buffer.from(await echoOnce(s, Uint8Array.from([9, 8, 7]))).toString('hex'), '090807');
    s.close();
  } finally {
    await server.close();
    await rm(dir, { recursive: true });
  }
  const missing = createWebTransportServer({
    cert: { certFile: '/nonexistent.pem', keyFile: '/x' },
    onSession: serveEcho,
  });
  await assert.rejects(missing.listen(), (e: unknown) => isTransportError(e, 'INVALID_CONFIG'));
});

test('renewal: new connections get the new certificate; existing sessions keep working', async () => {
  const renewals: Uint8Array[] = [];
  const server = createWebTransportServer({
    cert: { dev: { validityMs: 4000, renewBeforeMs: 3000 } },
    onSession: serveEcho,
    onCertificateRenewed: (c) => renewals.push(c.sha256),
  });
  const { port } = await server.listen();
  const url = `https://127.0.0.1:${String(port)}/`;
  try {
    const firstHash = server.certificateHash();
    const early = await connectWebTransport(url, { serverCertificateHashes: [firstHash] });
    const renewed = async (): Promise<Uint8Array> => {
      for (;;) {
        const h = server.certificateHash();
        if (Buffer.compare(h, firstHash) !== 0) return h;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const secondHash = await within(renewed(), 10_000, 'renewal');
    assert.deepEqual(renewals[0], secondHash);
    await assert.rejects(connectWebTransport(url, { serverCertificateHashes: [firstHash] }), (e: unknown) =>
      isTransportError(e, 'CERTIFICATE_MISMATCH'),
    );
    const late = await connectWebTransport(url, { serverCertificateHashes: [secondHash] });
    assert.equal(Buffer.from(await echoOnce(late, Uint8Array.from([1]))).toString('hex'), '01');
    assert.equal(Buffer.from(await echoOnce(early, Uint8Array.from([2]))).toString('hex'), '02');
    early.close();
    late.close();
  } finally {
    await server.close();
  }
});
