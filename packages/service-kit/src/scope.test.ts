import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scope } from './scope.ts';

test('cleanups run once, in reverse order of registration, children included', async () => {
  const order: string[] = [];
  const root = new Scope({ name: 'root' });
  root.defer(() => {
    order.push('first');
  });
  const child = root.child('child');
  child.defer(() => {
    order.push('child-a');
  });
  child.defer(async () => {
    await Promise.resolve();
    order.push('child-b');
  });
  root.defer(() => {
    order.push('last');
  });
  await Promise.all([root.close('bye'), root.close('again')]);
  await root.close();
  assert.deepEqual(order, ['last', 'child-b', 'child-a', 'first']);
  assert.ok(child.isClosing);
  await child.closed;
  await root.closed;
});

test('the signal aborts with the close reason before cleanups run', async () => {
  const scope = new Scope();
  let abortedInCleanup = false;
  scope.defer(() => {
    abortedInCleanup = scope.signal.aborted;
  });
  const reason = new Error('shutdown');
  await scope.close(reason);
  assert.ok(abortedInCleanup);
  assert.equal(scope.signal.reason, reason);
});

test('a throwing cleanup is reported and the others still run', async () => {
  const reported: [unknown, string][] = [];
  const scope = new Scope({ name: 'svc', onError: (error, name) => reported.push([error, name]) });
  const ran: string[] = [];
  scope.defer(() => {
    ran.push('a');
  });
  scope.defer(() => {
    throw new Error('bad cleanup');
  });
  scope.child('kid').defer(() => Promise.reject(new Error('bad child cleanup')));
  await scope.close();
  assert.deepEqual(ran, ['a']);
  assert.deepEqual(
    reported.map(([e, n]) => [(e as Error).message, n]),
    [
      ['bad child cleanup', 'kid'],
      ['bad cleanup', 'svc'],
    ],
  );
});

test('a child closed on its own leaves its parent', async () => {
  const root = new Scope();
  let childCleanups = 0;
  const child = root.child();
  child.defer(() => {
    childCleanups++;
  });
  await child.close();
  await root.close();
  assert.equal(childCleanups, 1);
});

test('undo removes a cleanup; defer on a closed scope runs at once', async () => {
  const scope = new Scope();
  let removed = 0;
  const undo = scope.defer(() => {
    removed++;
  });
  undo();
  await scope.close();
  assert.equal(removed, 0);
  let late = 0;
  scope.defer(() => {
    late++;
  });
  await Promise.resolve();
  assert.equal(late, 1);
  const lateChild = scope.child('late');
  await lateChild.closed;
  assert.ok(lateChild.isClosing);
});

test('await using closes the scope', async () => {
  let closed = false;
  {
    await using scope = new Scope();
    scope.defer(() => {
      closed = true;
    });
  }
  assert.ok(closed);
});
