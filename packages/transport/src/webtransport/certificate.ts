// Certificates for the QUIC server: PEM files in production, or a development certificate that browsers accept
// through `serverCertificateHashes` (ECDSA P-256, valid for at most 14 days, as Chromium requires).
import { createHash, createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 resolves its services through tsyringe, which needs it
import * as x509 from '@peculiar/x509';
import { TransportError } from './transport-error.ts';

export interface CertificateMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  /** DER of the leaf certificate. */
  readonly der: Uint8Array;
  /** SHA-256 of the DER: the value for `serverCertificateHashes`. */
  readonly sha256: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Chromium rejects hashed certificates valid for longer than 14 days. */
export const MAX_HASHED_CERT_VALIDITY_MS = 14 * 24 * 3600 * 1000;

export function certificateFromPem(certPem: string, keyPem: string): CertificateMaterial {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new TransportError('INVALID_CONFIG', 'cert.certPem is not a PEM certificate', { cause: e });
  }
  if (!keyPem.includes('PRIVATE KEY'))
    throw TransportError.invalidConfig('cert.keyPem is not a PEM private key');
  if (!cert.checkPrivateKey(createPrivateKey(keyPem)))
    throw TransportError.invalidConfig('cert.keyPem does not match cert.certPem');
  const der = new Uint8Array(cert.raw);
  return {
    certPem,
    keyPem,
    der,
    sha256: new Uint8Array(createHash('sha256').update(der).digest()),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

export interface DevCertificateOptions {
  /** Validity; at most 14 days (default 13 days, so clock skew cannot push it over). */
  validityMs?: number;
  /** Names for the subjectAltName (DNS names or IP addresses). Default localhost, 127.0.0.1, ::1. */
  names?: readonly string[];
}

const IP_PATTERN = /^[\d.]+$|:/;

/** Mints a self-signed ECDSA P-256 certificate for development. */
export async function mintDevCertificate(options: DevCertificateOptions = {}): Promise<CertificateMaterial> {
  const validityMs = options.validityMs ?? 13 * 24 * 3600 * 1000;
  if (validityMs <= 0 || validityMs > MAX_HASHED_CERT_VALIDITY_MS)
    throw TransportError.invalidConfig('dev certificate validity must be within (0, 14 days]');
  const names = options.names ?? ['localhost', '127.0.0.1', '::1'];
  const crypto = webcrypto as unknown as Crypto;
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  // Backdate a little for clock skew (a minute, less for very short test certificates); the whole window
  // stays within the limit.
  const notBefore = new Date(Date.now() - Math.min(60_000, validityMs / 4));
  const notAfter = new Date(notBefore.getTime() + validityMs);
  const serial = Buffer.from(crypto.getRandomValues(new Uint8Array(16)));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: 'CN=darktower-dev',
      notBefore,
      notAfter,
      signingAlgorithm: alg,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          names.map((n) =>
            IP_PATTERN.test(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n },
          ),
        ),
      ],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  const der = new Uint8Array(cert.rawData);
  return {
    certPem: cert.toString('pem'),
    keyPem,
    der,
    sha256: new Uint8Array(createHash('sha256').update(der).digest()),
    notBefore,
    notAfter,
  };
}
