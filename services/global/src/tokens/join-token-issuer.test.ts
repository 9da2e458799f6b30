import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { MeetingId } from '../domain/ids.ts';
import { generateJoinSigningKey, joinSigningKeyFromPem, joinSigningKeyToPem } from './join-signing-key.ts';
import { JOIN_TOKEN_AUDIENCE, JoinTokenIssuer, guestIdentity } from './join-token-issuer.ts';

const meetingId = '550e8400-e29b-41d4-a716-446655440000' as MeetingId;

describe('JoinTokenIssuer', () => {
  test('issues EdDSA tokens verifiable with the published JWKS, scoped to one meeting and identity', async () => {
    const issuer = new JoinTokenIssuer({ keys: [generateJoinSigningKey()], issuer: 'http://gc.test' });
    const issued = await issuer.issue({
      meetingId,
      participantIdentity: 'user-1',
      displayName: 'Ada',
      role: 'host',
      tenant: 'default',
    });
    const { payload, protectedHeader } = await jwtVerify(issued.token, createLocalJWKSet(issuer.jwks()), {
      issuer: 'http://gc.test',
      audience: JOIN_TOKEN_AUDIENCE,
      algorithms: ['EdDSA'],
    });
    assert.equal(protectedHeader.alg, 'EdDSA');
    assert.equal(payload.sub, 'user-1');
    assert.equal(payload.meeting_id, meetingId);
    assert.equal(payload.display_name, 'Ada');
    assert.equal(payload.role, 'host');
    assert.equal(payload.jti, issued.tokenId);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);
    assert.equal(issued.expiresAt.getTime(), (payload.exp ?? 0) * 1000);
  });

  test('every token has its own jti; guests get distinct identities', async () => {
    const issuer = new JoinTokenIssuer({ keys: [generateJoinSigningKey()], issuer: 'http://gc.test' });
    const a = await issuer.issue({
      meetingId,
      participantIdentity: guestIdentity(),
      displayName: 'g',
      role: 'participant',
      tenant: 't',
    });
    const b = await issuer.issue({
      meetingId,
      participantIdentity: guestIdentity(),
      displayName: 'g',
      role: 'participant',
      tenant: 't',
    });
    assert.notEqual(a.tokenId, b.tokenId);
    assert.notEqual(a.participantIdentity, b.participantIdentity);
    assert.match(a.participantIdentity, /^guest:[0-9a-f-]{36}$/);
  });

  test('expired tokens are refused by a verifier', async () => {
    const issuer = new JoinTokenIssuer({
      keys: [generateJoinSigningKey()],
      issuer: 'http://gc.test',
      now: () => Date.now() - 301_000,
    });
    const { token } = await issuer.issue({
      meetingId,
      participantIdentity: 'u',
      displayName: 'u',
      role: 'participant',
      tenant: 't',
    });
    await assert.rejects(
      jwtVerify(token, createLocalJWKSet(issuer.jwks()), { audience: JOIN_TOKEN_AUDIENCE }),
      {
        code: 'ERR_JWT_EXPIRED',
      },
    );
  });

  test('keys round-trip through PEM with a stable kid; old keys stay published after rotation', async () => {
    const old = generateJoinSigningKey();
    const again = joinSigningKeyFromPem(joinSigningKeyToPem(old));
    assert.equal(again.kid, old.kid);
    const rotated = new JoinTokenIssuer({
      keys: [generateJoinSigningKey(), again],
      issuer: 'http://gc.test',
    });
    const before = new JoinTokenIssuer({ keys: [old], issuer: 'http://gc.test' });
    const { token } = await before.issue({
      meetingId,
      participantIdentity: 'u',
      displayName: 'u',
      role: 'participant',
      tenant: 't',
    });
    await jwtVerify(token, createLocalJWKSet(rotated.jwks()), { audience: JOIN_TOKEN_AUDIENCE });
    assert.throws(() => joinSigningKeyFromPem('garbage'), TypeError);
  });
});
