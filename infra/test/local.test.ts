// infra/local: the kind environment scripts (shellcheck-clean, and they fail with a clear message rather than
// half-way when a tool or the cluster is missing), the kind config against the region kustomizations, and the
// compose file against the Dockerfiles and the services' configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readYamlDocuments } from './kustomize.ts';
import { INFRA, REPO, SERVICES, get, list, obj, str } from './manifests.ts';

const LOCAL = `${INFRA}local/`;
const scripts = readdirSync(LOCAL).filter((f) => f.endsWith('.sh'));
const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;

test('the ADR-0012 scripts exist, are executable bash scripts', () => {
  for (const name of ['setup.sh', 'teardown.sh', 'restart.sh', 'status.sh']) {
    assert.ok(scripts.includes(name), name);
    accessSync(`${LOCAL}${name}`, constants.X_OK);
    assert.match(readFileSync(`${LOCAL}${name}`, 'utf8'), /^#!\/usr\/bin\/env bash\n/);
  }
});

test(
  'shellcheck passes on infra/local/*.sh',
  { skip: shellcheck ? false : 'shellcheck is not installed (Debian package shellcheck)' },
  () => {
    const r = spawnSync('shellcheck', ['-x', '--severity=style', ...scripts], {
      cwd: LOCAL,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  },
);

/** Runs a script with a PATH holding only the named tools (so missing kind/kubectl/docker is simulated). */
function runWithTools(
  script: string,
  args: string[],
  tools: string[],
): { status: number | null; stderr: string } {
  const bin = mkdtempSync(join(tmpdir(), 'dt-local-bin-'));
  try {
    for (const tool of tools) {
      const which = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (which !== '') symlinkSync(which, join(bin, tool));
    }
    const r = spawnSync('bash', [`${LOCAL}${script}`, ...args], { env: { PATH: bin }, encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

const basics = ['bash', 'dirname', 'cat', 'grep', 'printf', 'mktemp', 'rm', 'tr'];

test('the scripts stop with a clear message when a required tool is missing', () => {
  for (const [script, tool] of [
    ['setup.sh', 'docker'],
    ['status.sh', 'kind'],
    ['teardown.sh', 'kind'],
  ] as const) {
    const r = runWithTools(script, [], basics);
    assert.equal(r.status, 1, script);
    assert.match(r.stderr, new RegExp(`error: ${tool} is required`), script);
  }
});

test('restart.sh refuses an unknown service and extra arguments before touching anything', () => {
  const bogus = runWithTools('restart.sh', ['xx'], basics);
  assert.equal(bogus.status, 1);
  assert.match(bogus.stderr, /unknown service 'xx' \(expected one of: ac gc mc mh\)/);
  const extra = runWithTools('restart.sh', ['ac', 'gc'], basics);
  assert.equal(extra.status, 1);
  assert.match(extra.stderr, /usage: .*restart\.sh \[ac\|gc\|mc\|mh\]/);
});

test('kind config: two workers per region, one region kustomization per region of lib.sh', () => {
  const [kind] = readYamlDocuments(`${LOCAL}kind-config.yaml`);
  const lib = readFileSync(`${LOCAL}lib.sh`, 'utf8');
  const regions = /^REGIONS=\(([^)]*)\)$/m.exec(lib)?.[1]?.split(/\s+/) ?? [];
  assert.deepEqual(regions, ['us-west', 'us-east']);
  const workers = list(get(kind, 'nodes')).filter((n) => get(n, 'role') === 'worker');
  for (const region of regions) {
    assert.equal(workers.filter((w) => get(w, 'labels', 'darktower.io/region') === region).length, 2, region);
    assert.ok(existsSync(`${LOCAL}regions/${region}/kustomization.yaml`), region);
  }
  assert.equal(get(kind, 'name'), /^CLUSTER="\$\{DARKTOWER_CLUSTER:-(\w+)\}"$/m.exec(lib)?.[1]);
});

test('compose: the services build from the Dockerfiles, run read-only and non-root, read known settings', () => {
  const [compose] = readYamlDocuments(`${LOCAL}docker-compose.yml`, { aliases: true });
  const services = obj(get(compose, 'services'));
  for (const svc of SERVICES) {
    const s = obj(services[svc.short]);
    assert.equal(get(s, 'build', 'dockerfile'), `infra/docker/${svc.name}.Dockerfile`);
    assert.ok(existsSync(join(LOCAL, str(get(s, 'build', 'context')), str(get(s, 'build', 'dockerfile')))));
    assert.equal(join(LOCAL, str(get(s, 'build', 'context'))), REPO.replace(/\/$/, ''));
    assert.equal(s.read_only, true);
    assert.match(str(s.user), /^[1-9]\d*:[1-9]\d*$/);
    assert.deepEqual(s.cap_drop, ['ALL']);
    assert.deepEqual(s.tmpfs, ['/tmp']);
    const known = new Set(
      [...readFileSync(`${REPO}${svc.config}`, 'utf8').matchAll(/env: '([A-Z0-9_]+)'/g)].map((m) => m[1]),
    );
    const env = obj(s.environment);
    const unknown = Object.keys(env).filter((k) => !k.startsWith('OTEL_') && !known.has(k));
    assert.deepEqual(unknown, [], svc.name);
    for (const dep of Object.keys(obj(s.depends_on)))
      assert.ok(dep in services, `${svc.short} depends on ${dep}`);
    // Secrets come from the caller's environment, never from the file.
    for (const [k, v] of Object.entries(env)) {
      if (/(MASTER_KEY|SECRET|SERVICE_TOKEN|PASSWORD|KEY_PEM|PRIVATE_KEY)$/.test(k))
        assert.match(str(v), /^\$\{[A-Z_]+:\?/, k);
    }
  }
});
