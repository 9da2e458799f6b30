// The test tooling itself: the kustomize subset renderer and the offline schema validator must fail on bad input,
// or the manifest tests would pass vacuously.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containersOf, mergePatch, render, type Json, type K8sObject } from './kustomize.ts';
import { validateObject, type SchemaResult } from './k8s-schema.ts';

function deployment(): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      template: {
        metadata: { labels: { app: 'x' } },
        spec: { containers: [{ name: 'x', image: 'x:1', ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

function firstContainer(o: K8sObject): Record<string, Json> {
  const c = containersOf(o)[0];
  if (c === undefined) throw new Error('no container');
  return c;
}

function errorsOf(r: SchemaResult): string {
  return r.status === 'invalid' ? r.errors.join('\n') : `(${r.status})`;
}

test('schema validation accepts a valid Deployment and rejects wrong types and unknown fields', async () => {
  assert.deepEqual(await validateObject(deployment()), { status: 'valid' });

  const wrongType = structuredClone(deployment()) as K8sObject & { spec: { replicas: unknown } };
  wrongType.spec.replicas = 'three';
  const r1 = await validateObject(wrongType);
  assert.equal(r1.status, 'invalid');

  const typo = deployment();
  firstContainer(typo).livenesProbe = { httpGet: { port: 8080 } };
  const r2 = await validateObject(typo);
  assert.equal(r2.status, 'invalid');
  assert.match(errorsOf(r2), /containers\/0\/livenesProbe: unknown field/);

  const nestedTypo = deployment();
  firstContainer(nestedTypo).securityContext = { readOnlyRootFileSystem: true };
  const r3 = await validateObject(nestedTypo);
  assert.match(
    r3.status === 'invalid' ? r3.errors.join() : '',
    /securityContext\/readOnlyRootFileSystem: unknown field/,
  );
});

test('schema validation knows prometheus-operator kinds and reports unknown kinds and CRDs', async () => {
  const sm: K8sObject = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 's' },
    spec: { selector: {}, endpoints: [{ port: 'ops', intervall: '15s' }] },
  };
  assert.equal((await validateObject(sm)).status, 'invalid');
  assert.equal((await validateObject({ ...deployment(), kind: 'Deploymnet' })).status, 'invalid');
  const cr: K8sObject = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'db' } };
  assert.deepEqual(await validateObject(cr), { status: 'no-schema' });
});

test('strategic merge subset: maps merge, null deletes, containers and env merge by name, other lists replace', () => {
  const target = {
    spec: {
      keep: 1,
      drop: 2,
      args: ['a', 'b'],
      containers: [
        {
          name: 'c',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
      ],
    },
  };
  const patch = {
    spec: {
      drop: null,
      args: ['z'],
      containers: [
        {
          name: 'c',
          env: [
            { name: 'B', value: 'x' },
            { name: 'C', value: '3' },
          ],
        },
      ],
    },
  };
  assert.deepEqual(mergePatch(target, patch, true), {
    spec: {
      keep: 1,
      args: ['z'],
      containers: [
        {
          name: 'c',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: 'x' },
            { name: 'C', value: '3' },
          ],
        },
      ],
    },
  });
  // Custom resources use JSON merge patch: keyed lists are replaced.
  assert.deepEqual(mergePatch({ containers: [{ name: 'a' }] }, { containers: [{ name: 'b' }] }, false), {
    containers: [{ name: 'b' }],
  });
});

test('the renderer refuses unsupported fields, missing resources, unmatched patches and duplicates', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-kustomize-'));
  try {
    const write = (path: string, text: string): void => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n';
    write('ok/cm.yaml', cm);
    write('ok/kustomization.yaml', 'kind: Kustomization\nnamespace: n\nresources: [cm.yaml]\n');
    assert.deepEqual(render(join(dir, 'ok')), [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n' } },
    ]);

    write('unsupported/kustomization.yaml', 'kind: Kustomization\ncommonLabels: {a: b}\n');
    assert.throws(() => render(join(dir, 'unsupported')), /field "commonLabels" is not supported/);
    write('missing/kustomization.yaml', 'kind: Kustomization\nresources: [nope.yaml]\n');
    assert.throws(() => render(join(dir, 'missing')), /does not exist/);
    write('nomatch/cm.yaml', cm);
    write('nomatch/p.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n');
    write(
      'nomatch/kustomization.yaml',
      'kind: Kustomization\nresources: [cm.yaml]\npatches: [{path: p.yaml}]\n',
    );
    assert.throws(() => render(join(dir, 'nomatch')), /matches 0 objects/);
    write('dup/cm.yaml', `${cm}---\n${cm}`);
    write('dup/kustomization.yaml', 'kind: Kustomization\nresources: [cm.yaml]\n');
    assert.throws(() => render(join(dir, 'dup')), /duplicate object/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
