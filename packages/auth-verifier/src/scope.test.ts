import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COMPONENTS,
  OPERATIONS,
  PRINCIPALS,
  formatScope,
  hasScope,
  isScope,
  missingScopes,
  parseScope,
  parseScopeList,
  type Scope,
} from './scope.ts';
import { bearerToken } from './bearer.ts';

const scopeArb = fc
  .record({
    principal: fc.constantFrom(...PRINCIPALS),
    operation: fc.constantFrom(...OPERATIONS),
    component: fc.constantFrom(...COMPONENTS),
  })
  .map(formatScope);

test('parseScope accepts exactly principal.operation.component', () => {
  assert.deepEqual(parseScope('user.write.gc'), { principal: 'user', operation: 'write', component: 'gc' });
  for (const bad of [
    'user.write',
    'user.write.gc.x',
    'admin.write.gc',
    'user.delete.gc',
    'user.write.xx',
    '',
    'USER.write.gc',
    'user..gc',
  ]) {
    assert.equal(parseScope(bad), undefined, bad);
  }
});

test('property: formatted scopes round-trip; arbitrary strings never throw', () => {
  fc.assert(
    fc.property(
      scopeArb,
      (s) =>
        isScope(s) &&
        formatScope(parseScope(s) ?? { principal: 'user', operation: 'read', component: 'gc' }) === s,
    ),
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 3000 }), (s) => {
      const r = parseScopeList(s);
      return r === undefined || r.every(isScope);
    }),
  );
  fc.assert(
    fc.property(fc.array(scopeArb, { maxLength: 10 }), (list) => {
      const parsed = parseScopeList(list.join(' '));
      return parsed?.length === new Set(list).size;
    }),
  );
});

test('parseScopeList refuses any invalid entry and bounds the count', () => {
  assert.deepEqual(parseScopeList('user.read.gc  user.write.gc user.read.gc'), [
    'user.read.gc',
    'user.write.gc',
  ]);
  assert.equal(parseScopeList('user.read.gc bogus'), undefined);
  assert.equal(parseScopeList(Array(65).fill('user.read.gc').join(' ')), undefined);
  assert.deepEqual(parseScopeList(''), []);
});

test('hasScope: admin implies write implies read, never across principal or component', () => {
  const s = (x: string) => x as Scope;
  assert.ok(hasScope([s('service.admin.mh')], s('service.read.mh')));
  assert.ok(hasScope([s('service.write.mh')], s('service.read.mh')));
  assert.ok(!hasScope([s('service.read.mh')], s('service.write.mh')));
  assert.ok(!hasScope([s('user.admin.mh')], s('service.read.mh')));
  assert.ok(!hasScope([s('service.admin.gc')], s('service.read.mh')));
  assert.deepEqual(missingScopes([s('user.read.gc')], [s('user.read.gc'), s('user.write.mc')]), [
    'user.write.mc',
  ]);
});

test('bearerToken', () => {
  assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken(undefined), undefined);
  assert.equal(bearerToken('Bearer a b'), undefined);
});
