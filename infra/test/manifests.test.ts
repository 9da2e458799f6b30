// Renders every deployable kustomization, validates each object against the Kubernetes schemas offline, and checks
// the invariants of ADR-0012: probes exactly as "Probe Configuration", resources as "Resource Sizing", default-deny
// network policies with the allow rules of "Network Policies", no privileged or root containers, read-only root
// filesystems, UDP ports for QUIC, HPA/PDB/ServiceMonitor wired to the right objects.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { containersOf, isObject, podSpecOf, type Json, type K8sObject } from './kustomize.ts';
import { validateObject } from './k8s-schema.ts';
import {
  DEPLOYABLE,
  INFRA,
  REPO,
  SERVICES,
  find,
  get,
  list,
  obj,
  quantity,
  rendered,
  selects,
  scalar,
  str,
} from './manifests.ts';

const LIVENESS = {
  httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
  initialDelaySeconds: 10,
  periodSeconds: 10,
  timeoutSeconds: 5,
  successThreshold: 1,
  failureThreshold: 3,
};
const READINESS = {
  httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' },
  initialDelaySeconds: 5,
  periodSeconds: 5,
  timeoutSeconds: 3,
  successThreshold: 1,
  failureThreshold: 3,
};
/** ADR-0012 "Resource Sizing". */
const SIZING: Record<string, { cpu: [string, string]; memory: [string, string] }> = {
  'ac-service': { cpu: ['500m', '2000m'], memory: ['1Gi', '2Gi'] },
  'gc-service': { cpu: ['1000m', '3000m'], memory: ['2Gi', '4Gi'] },
  'mc-service': { cpu: ['2000m', '4000m'], memory: ['6Gi', '8Gi'] },
  'mh-service': { cpu: ['4000m', '8000m'], memory: ['12Gi', '16Gi'] },
};
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod']);

/** Structural checks for the custom resources kubernetes-models has no schema for (CloudNativePG, external-secrets). */
function checkCustomResource(o: K8sObject): string[] {
  const errors: string[] = [];
  const need = (cond: boolean, what: string): void => {
    if (!cond) errors.push(`${o.kind}/${o.metadata.name}: ${what}`);
  };
  const spec = obj(o.spec);
  switch (`${o.apiVersion} ${o.kind}`) {
    case 'postgresql.cnpg.io/v1 Cluster': {
      const n = spec.instances;
      need(typeof n === 'number' && Number.isInteger(n) && n >= 1, 'spec.instances is a positive integer');
      need(!Number.isNaN(quantity(get(spec, 'storage', 'size'))), 'spec.storage.size is a quantity');
      need(typeof get(spec, 'bootstrap', 'initdb', 'database') === 'string', 'bootstrap.initdb.database');
      const sync = get(spec, 'postgresql', 'synchronous');
      if (sync !== undefined) {
        need(['any', 'first'].includes(str(get(sync, 'method'))), 'synchronous.method is any|first');
        need(typeof get(sync, 'number') === 'number', 'synchronous.number');
      }
      break;
    }
    case 'postgresql.cnpg.io/v1 Pooler':
      need(typeof get(spec, 'cluster', 'name') === 'string', 'spec.cluster.name');
      need(['rw', 'ro'].includes(str(spec.type)), 'spec.type is rw|ro');
      need(
        ['session', 'transaction'].includes(str(get(spec, 'pgbouncer', 'poolMode'))),
        'pgbouncer.poolMode',
      );
      break;
    case 'external-secrets.io/v1 ExternalSecret':
      need(typeof get(spec, 'secretStoreRef', 'name') === 'string', 'spec.secretStoreRef.name');
      need(typeof get(spec, 'target', 'name') === 'string', 'spec.target.name');
      need(
        list(spec.data).length > 0 &&
          list(spec.data).every(
            (d) => typeof get(d, 'secretKey') === 'string' && typeof get(d, 'remoteRef', 'key') === 'string',
          ),
        'spec.data[] has secretKey and remoteRef.key',
      );
      break;
    default:
      errors.push(`${o.apiVersion} ${o.kind}: no schema and no structural check`);
  }
  return errors;
}

for (const dir of DEPLOYABLE) {
  describe(`kustomization ${dir}`, () => {
    const objs = rendered(dir);
    const namespaces = new Set(
      objs.filter((o) => o.metadata.namespace !== undefined).map((o) => o.metadata.namespace),
    );

    test('every object validates against its Kubernetes schema (or the custom-resource checks)', async () => {
      const errors: string[] = [];
      let validated = 0;
      for (const o of objs) {
        const r = await validateObject(o);
        if (r.status === 'invalid') errors.push(`${o.kind}/${o.metadata.name}: ${r.errors.join('; ')}`);
        else if (r.status === 'no-schema') errors.push(...checkCustomResource(o));
        else validated++;
      }
      assert.deepEqual(errors, []);
      assert.ok(validated >= 30, `only ${validated} objects schema-validated`);
    });

    test('one namespace, created by the kustomization, with the restricted Pod Security profile', () => {
      assert.equal(namespaces.size, 1);
      const [ns] = [...namespaces];
      const nsObj = find(objs, 'Namespace', ns ?? '');
      assert.equal(get(nsObj, 'metadata', 'labels', 'pod-security.kubernetes.io/enforce'), 'restricted');
    });

    test('a default-deny NetworkPolicy covers every pod, ingress and egress', () => {
      const deny = objs.filter(
        (o) =>
          o.kind === 'NetworkPolicy' &&
          isDeepStrictEqual(get(o, 'spec', 'podSelector'), {}) &&
          isDeepStrictEqual(get(o, 'spec', 'policyTypes'), ['Ingress', 'Egress']) &&
          get(o, 'spec', 'ingress') === undefined &&
          get(o, 'spec', 'egress') === undefined,
      );
      assert.equal(deny.length, 1);
    });

    test('no privileged or root container; read-only root filesystem; resources and probes on every container', () => {
      const problems: string[] = [];
      for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
        const pod = podSpecOf(o) ?? {};
        const where = `${o.kind}/${o.metadata.name}`;
        if (get(pod, 'securityContext', 'runAsNonRoot') !== true) problems.push(`${where}: pod runAsNonRoot`);
        if (get(pod, 'securityContext', 'seccompProfile', 'type') !== 'RuntimeDefault')
          problems.push(`${where}: seccomp`);
        for (const key of ['hostNetwork', 'hostPID', 'hostIPC'])
          if (pod[key] === true) problems.push(`${where}: ${key}`);
        if (list(pod.volumes).some((v) => get(v, 'hostPath') !== undefined))
          problems.push(`${where}: hostPath volume`);
        for (const c of containersOf(o)) {
          const cw = `${where}/${str(c.name)}`;
          const sc = obj(c.securityContext);
          if (sc.privileged === true) problems.push(`${cw}: privileged`);
          if (sc.allowPrivilegeEscalation !== false) problems.push(`${cw}: allowPrivilegeEscalation`);
          if (sc.readOnlyRootFilesystem !== true) problems.push(`${cw}: readOnlyRootFilesystem`);
          if (sc.runAsUser === 0) problems.push(`${cw}: runAsUser 0`);
          if (!isDeepStrictEqual(get(sc, 'capabilities', 'drop'), ['ALL']))
            problems.push(`${cw}: capabilities.drop ALL`);
          if (get(sc, 'capabilities', 'add') !== undefined) problems.push(`${cw}: capabilities.add`);
          for (const r of ['cpu', 'memory']) {
            const req = quantity(get(c, 'resources', 'requests', r));
            const lim = quantity(get(c, 'resources', 'limits', r));
            if (!(req > 0 && lim > 0 && req <= lim)) problems.push(`${cw}: ${r} request/limit`);
          }
          if (o.kind !== 'Job' && o.kind !== 'CronJob') {
            if (c.livenessProbe === undefined) problems.push(`${cw}: livenessProbe`);
            if (c.readinessProbe === undefined) problems.push(`${cw}: readinessProbe`);
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    test('every $(VAR) in env refers to a variable defined before it', () => {
      const problems: string[] = [];
      for (const o of objs.filter((x) => WORKLOADS.has(x.kind))) {
        for (const c of containersOf(o)) {
          const defined = new Set<string>();
          for (const e of list(c.env)) {
            for (const m of str(get(e, 'value')).matchAll(/\$\((\w+)\)/g)) {
              if (!defined.has(m[1] ?? ''))
                problems.push(`${o.metadata.name}: ${str(get(e, 'name'))} uses $(${m[1] ?? ''})`);
            }
            defined.add(str(get(e, 'name')));
          }
        }
      }
      assert.deepEqual(problems, []);
    });

    test('Services select pods and name container ports that exist', () => {
      const pods = objs.filter((o) => WORKLOADS.has(o.kind));
      for (const s of objs.filter((o) => o.kind === 'Service')) {
        const selector = obj(get(s, 'spec', 'selector'));
        const targets = pods.filter((p) =>
          selects({ matchLabels: selector }, get(p, 'spec', 'template', 'metadata', 'labels')),
        );
        assert.ok(targets.length > 0, `Service ${s.metadata.name} selects no workload`);
        const portNames = new Set(
          targets.flatMap((p) =>
            containersOf(p).flatMap((c) => list(c.ports).map((x) => str(get(x, 'name')))),
          ),
        );
        for (const p of list(get(s, 'spec', 'ports'))) {
          const target = get(p, 'targetPort');
          if (typeof target === 'string')
            assert.ok(portNames.has(target), `${s.metadata.name}: targetPort ${target}`);
        }
      }
    });

    for (const svc of SERVICES) {
      describe(svc.name, () => {
        const workload = find(objs, svc.kind, svc.name);
        const container = containersOf(workload).find((c) => c.name === svc.name) ?? {};
        const podLabels = get(workload, 'spec', 'template', 'metadata', 'labels');

        test('liveness and readiness probes exactly as ADR-0012 "Probe Configuration", on the ops port', () => {
          assert.deepEqual(container.livenessProbe, LIVENESS);
          assert.deepEqual(container.readinessProbe, READINESS);
          const ops = list(container.ports).find((p) => get(p, 'name') === 'ops');
          assert.equal(get(ops, 'containerPort'), 8080);
          const env = new Map(list(container.env).map((e) => [str(get(e, 'name')), get(e, 'value')]));
          assert.equal(env.get(`${svc.env}_OPS_PORT`), '8080');
          assert.equal(env.get(`${svc.env}_OPS_HOST`), '0.0.0.0');
        });

        if (dir === 'overlays/prod') {
          test('resources exactly as ADR-0012 "Resource Sizing"', () => {
            const size = SIZING[svc.name];
            assert.ok(size);
            assert.deepEqual(container.resources, {
              requests: { cpu: size.cpu[0], memory: size.memory[0] },
              limits: { cpu: size.cpu[1], memory: size.memory[1] },
            });
          });
        }

        test('HPA scales this workload; PDB, NetworkPolicy and ServiceMonitor select it', () => {
          const hpa = find(objs, 'HorizontalPodAutoscaler', svc.name);
          assert.deepEqual(get(hpa, 'spec', 'scaleTargetRef'), {
            apiVersion: 'apps/v1',
            kind: svc.kind,
            name: svc.name,
          });
          const min = get(hpa, 'spec', 'minReplicas');
          const max = get(hpa, 'spec', 'maxReplicas');
          assert.ok(typeof min === 'number' && typeof max === 'number' && min >= 1 && max > min);
          assert.ok(selects(get(find(objs, 'PodDisruptionBudget', svc.name), 'spec', 'selector'), podLabels));
          assert.ok(selects(get(find(objs, 'NetworkPolicy', svc.name), 'spec', 'podSelector'), podLabels));
          const sm = find(objs, 'ServiceMonitor', svc.name);
          const service = find(objs, 'Service', svc.name);
          assert.ok(selects(get(sm, 'spec', 'selector'), get(service, 'metadata', 'labels')));
          const monitored = objs.filter(
            (o) => o.kind === 'Service' && selects(get(sm, 'spec', 'selector'), get(o, 'metadata', 'labels')),
          );
          assert.equal(monitored.length, 1, 'the ServiceMonitor selects exactly one Service');
          assert.deepEqual(
            list(get(sm, 'spec', 'endpoints')).map((e) => [get(e, 'port'), get(e, 'path')]),
            [['ops', '/metrics']],
          );
          assert.ok(list(get(service, 'spec', 'ports')).some((p) => get(p, 'name') === 'ops'));
        });

        test('ports: HTTPS on 443/TCP, QUIC on UDP where the ADR has it', () => {
          const service = find(objs, 'Service', svc.name);
          const ports = list(get(service, 'spec', 'ports')).map(
            (p) => `${str(get(p, 'protocol'))}/${scalar(get(p, 'port'))}`,
          );
          assert.ok(ports.includes('TCP/443'));
          if (svc.short !== 'ac') assert.ok(ports.includes('UDP/443'), `${svc.name} has 443/UDP`);
          const udp = list(container.ports).filter((p) => get(p, 'protocol') === 'UDP');
          assert.equal(udp.length > 0, svc.short !== 'ac');
        });

        test('every environment variable is one the service reads (its config schema)', (t) => {
          let config: string;
          try {
            config = readFileSync(`${REPO}${svc.config}`, 'utf8');
          } catch {
            t.skip(`${svc.config} does not exist yet`);
            return;
          }
          const known = new Set([...config.matchAll(/env: '([A-Z0-9_]+)'/g)].map((m) => m[1]));
          // Kubernetes-side helpers: downward API values and the database credentials DATABASE_URL is built from.
          const runtime = /^(OTEL_[A-Z_]+|NODE_IP|POD_IP|POD_NAME|NODE_ENV|DB_USER|DB_PASSWORD)$/;
          const unknown = list(container.env)
            .map((e) => str(get(e, 'name')))
            .filter((n) => !runtime.test(n) && !known.has(n));
          assert.deepEqual(unknown, []);
        });
      });
    }

    test('network policies allow exactly the flows of ADR-0012 "Network Policies"', () => {
      // Each rule summarised as "<peer> <PROTO>/<port>", peer = app name, "any" (no from/to) or a namespace.
      const summarise = (rules: Json | undefined, side: 'from' | 'to'): string[] =>
        list(rules)
          .flatMap((r) => {
            const peers = list(get(r, side));
            const names =
              peers.length === 0
                ? ['any']
                : peers.map((p) => {
                    const labels = obj(get(p, 'podSelector', 'matchLabels'));
                    return (
                      str(
                        labels['app.kubernetes.io/name'] ??
                          labels['cnpg.io/cluster'] ??
                          labels['cnpg.io/poolerName'],
                      ) || 'ns'
                    );
                  });
            return names.flatMap((n) =>
              list(get(r, 'ports')).map((p) => `${n} ${str(get(p, 'protocol'))}/${scalar(get(p, 'port'))}`),
            );
          })
          .sort();
      const policy = (name: string): { in: string[]; out: string[] } => {
        const np = find(objs, 'NetworkPolicy', name);
        return {
          in: summarise(get(np, 'spec', 'ingress'), 'from'),
          out: summarise(get(np, 'spec', 'egress'), 'to'),
        };
      };
      const pg = ['darktower-db TCP/5432', 'darktower-db-pooler-rw TCP/5432'];
      assert.deepEqual(policy('ac-service'), { in: ['gc-service TCP/8443'], out: pg });
      assert.deepEqual(policy('gc-service'), {
        in: ['any TCP/8443', 'any UDP/8443'],
        out: ['ac-service TCP/8443', 'mc-service TCP/8443', ...pg, 'redis-cluster TCP/6379'].sort(),
      });
      assert.deepEqual(policy('mc-service'), {
        in: ['any TCP/4434', 'any UDP/443', 'gc-service TCP/8443', 'mh-service TCP/8443'].sort(),
        out: ['gc-service TCP/8443', 'mh-service TCP/8443', 'redis-cluster TCP/6379'].sort(),
      });
      assert.deepEqual(policy('mh-service'), {
        in: ['any TCP/8443', 'any UDP/443', 'mc-service TCP/8443'].sort(),
        out: ['any UDP/443', 'mc-service TCP/8443', 'mh-service UDP/443'].sort(),
      });
    });
  });
}

test('prod: images from the registry, media handlers on their node pool, 3 PostgreSQL instances, 6 Redis nodes', () => {
  const objs = rendered('overlays/prod');
  for (const s of SERVICES) {
    const c = containersOf(find(objs, s.kind, s.name))[0] ?? {};
    assert.match(
      str(c.image),
      new RegExp(`^registry\\.example\\.com/darktower/${s.name}:\\d+\\.\\d+\\.\\d+$`),
    );
  }
  assert.equal(
    get(
      find(objs, 'Deployment', 'mh-service'),
      'spec',
      'template',
      'spec',
      'nodeSelector',
      'darktower.io/pool',
    ),
    'media',
  );
  const pg = find(objs, 'Cluster', 'darktower-db');
  assert.equal(get(pg, 'spec', 'instances'), 3);
  assert.deepEqual(get(pg, 'spec', 'postgresql', 'synchronous'), { method: 'any', number: 1 });
  assert.deepEqual(get(pg, 'spec', 'postgresql', 'pg_hba'), ['hostssl all all all scram-sha-256']);
  const redis = find(objs, 'StatefulSet', 'redis-cluster');
  assert.equal(get(redis, 'spec', 'replicas'), 6);
  const conf = str(get(find(objs, 'ConfigMap', 'redis-cluster'), 'data', 'redis.conf'));
  assert.match(conf, /^cluster-enabled yes$/m);
  assert.match(conf, /^appendonly yes$/m);
  assert.match(
    str(
      get(
        find(objs, 'Job', 'redis-cluster-create'),
        'spec',
        'template',
        'spec',
        'containers',
        0,
        'command',
        2,
      ),
    ),
    /--cluster-replicas 1/,
  );
  for (const name of ['ac-master-key', 'mc-service-tls', 'mh-service-tls'])
    find(objs, 'ExternalSecret', name);
  // ADR-0012: every PostgreSQL client connection uses TLS in verify-full mode, against the cluster's CA.
  for (const [kind, name] of [
    ['StatefulSet', 'ac-service'],
    ['Deployment', 'gc-service'],
  ] as const) {
    const c = containersOf(find(objs, kind, name))[0] ?? {};
    const url = str(
      get(
        list(c.env).find((e) => get(e, 'name') === 'DATABASE_URL'),
        'value',
      ),
    );
    assert.match(
      url,
      /^postgresql:\/\/\$\(DB_USER\):\$\(DB_PASSWORD\)@darktower-db-rw:5432\/darktower\?sslmode=verify-full&sslrootcert=\S+$/,
    );
    const mount = list(c.volumeMounts).find((m) => url.includes(str(get(m, 'mountPath'))));
    assert.ok(mount, `${name}: the CA file is mounted`);
  }
});

test('dev: locally built images never pulled, one replica each, traces off', () => {
  const objs = rendered('overlays/dev');
  for (const s of SERVICES) {
    const w = find(objs, s.kind, s.name);
    const c = containersOf(w)[0] ?? {};
    assert.equal(c.image, `darktower/${s.name}:dev`);
    assert.equal(c.imagePullPolicy, 'Never');
    assert.equal(get(w, 'spec', 'replicas'), 1);
    assert.ok(
      list(c.env).some((e) => get(e, 'name') === 'OTEL_TRACES_EXPORTER' && get(e, 'value') === 'none'),
    );
  }
});

test('local regions: one namespace per region, REGION set, workloads pinned to the region node', () => {
  for (const region of ['us-west', 'us-east']) {
    const objs = rendered(`local/regions/${region}`);
    assert.ok(
      objs.every((o) =>
        o.kind === 'Namespace'
          ? o.metadata.name === `region-${region}`
          : o.metadata.namespace === `region-${region}`,
      ),
    );
    for (const s of SERVICES) {
      const w = find(objs, s.kind, s.name);
      assert.equal(get(w, 'spec', 'template', 'spec', 'nodeSelector', 'darktower.io/region'), region);
      if (s.region !== undefined) {
        const env = list(containersOf(w)[0]?.env);
        assert.deepEqual(
          env.filter((e) => get(e, 'name') === s.region).map((e) => get(e, 'value')),
          [region],
        );
      }
    }
  }
});

/** Sorts lists merged by key so two renderings that differ only in merged-item order compare equal. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(normalise);
    const keyed = items.every(
      (i) => isObject(i as Json) && typeof (i as Record<string, unknown>).name === 'string',
    );
    return keyed
      ? [...items].sort((a, b) => (a as { name: string }).name.localeCompare((b as { name: string }).name))
      : items;
  }
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  }
  return v;
}

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
test(
  'the renderer agrees with `kubectl kustomize` on every deployable kustomization',
  { skip: kubectl ? false : 'kubectl is not installed (Debian package kubectl)' },
  () => {
    for (const dir of [...DEPLOYABLE, 'platform/observability/dashboards']) {
      const out = execFileSync('kubectl', ['kustomize', `${INFRA}${dir}`], {
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      });
      const theirs = parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
      const key = (o: K8sObject): string =>
        `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''} ${o.metadata.name}`;
      const byKey = new Map(theirs.map((o) => [key(o), o]));
      const mine = rendered(dir);
      assert.deepEqual(mine.map(key).sort(), [...byKey.keys()].sort(), dir);
      for (const o of mine) assert.deepEqual(normalise(o), normalise(byKey.get(key(o))), `${dir}: ${key(o)}`);
    }
  },
);
