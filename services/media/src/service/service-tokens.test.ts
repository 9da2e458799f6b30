// Service tokens for RPC calls and cascade links (JWT mode). Hostile: a cascade credential that names one handler but
// carries the token of another service must not get a link filed under the named handler.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JwksServer, makeTestKey, signTestToken, type TestKey } from '@darktower/auth-verifier/testing';
import { createMemorySessionPair } from '@darktower/transport';
import { isMediaError } from '../errors.ts';
import { asHandlerId } from '../ids.ts';
import { MediaHandlerCore } from '../media-handler.ts';
import { coreOptions } from '../testing/harness.ts';
import { MediaBot } from '../testing/media-bot.ts';
import { cascadeCredential, jwtServiceTokens } from './service-tokens.ts';

const ISSUER = 'https://ac.test';
const AUDIENCE = 'darktower';

describe('jwtServiceTokens', () => {
  let jwks: JwksServer;
  let key: TestKey;
  const token = (subject: string, scope = 'service.write.mh'): Promise<string> =>
    signTestToken(key, { issuer: ISSUER, audience: AUDIENCE, subject, scope });
  const tokens = () => jwtServiceTokens({ jwksUrls: [jwks.url], issuers: [ISSUER], audience: AUDIENCE });

  before(async () => {
    jwks = await JwksServer.start();
    key = makeTestKey('ac-1');
    jwks.keys = [key];
  });
  after(async () => {
    await jwks.close();
  });

  const refused = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (error) {
      assert.ok(isMediaError(error), String(error));
      return error.code;
    }
    assert.fail('accepted');
  };

  test("a cascade credential is the dialer's own: the token's subject is the handler id", async () => {
    const verifier = tokens();
    const id = await verifier.verify(
      cascadeCredential('mh-a', await token('mh-a')),
      AbortSignal.timeout(5_000),
    );
    assert.equal(id.handlerId, 'mh-a');
    // An RPC caller is known by its subject.
    const rpc = await verifier.verify(await token('mc-1'), AbortSignal.timeout(5_000));
    assert.equal(rpc.handlerId, 'mc-1');
  });

  test('hostile: a credential naming another handler than its token is refused', async () => {
    const verifier = tokens();
    const forged = cascadeCredential('mh-victim', await token('mh-attacker'));
    assert.equal(await refused(verifier.verify(forged, AbortSignal.timeout(5_000))), 'UNAUTHORIZED');
    // The controller's token does not speak for a handler either.
    const viaController = cascadeCredential('mh-victim', await token('mc-1'));
    assert.equal(await refused(verifier.verify(viaController, AbortSignal.timeout(5_000))), 'UNAUTHORIZED');
  });

  test('hostile: a token without service.write.mh is refused, cascade or not', async () => {
    const verifier = tokens();
    const weak = await token('mh-a', 'service.read.mh');
    assert.equal(await refused(verifier.verify(weak, AbortSignal.timeout(5_000))), 'UNAUTHORIZED');
    assert.equal(
      await refused(verifier.verify(cascadeCredential('mh-a', weak), AbortSignal.timeout(5_000))),
      'UNAUTHORIZED',
    );
  });

  test('hostile, end to end: a forged cascade session is closed and no link is filed under the victim', async () => {
    const core = new MediaHandlerCore(coreOptions({ serviceTokens: tokens() }));
    try {
      const [client, server] = createMemorySessionPair();
      core.acceptSession(server);
      const forged = cascadeCredential('mh-victim', await token('mh-attacker'));
      await assert.rejects(MediaBot.connect(client, forged));
      assert.equal(core.cascade(asHandlerId('mh-victim')), undefined);
      assert.equal(core.cascadeCount, 0);

      const [c2, s2] = createMemorySessionPair();
      core.acceptSession(s2);
      const honest = await MediaBot.connect(c2, cascadeCredential('mh-peer', await token('mh-peer')));
      assert.notEqual(core.cascade(asHandlerId('mh-peer')), undefined);
      honest.close();
    } finally {
      core.close();
    }
  });
});
