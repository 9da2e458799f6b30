export { JwksServer, makeTestKey, signTestToken, type SignOptions, type TestKey } from './jwks-fixture.ts';
