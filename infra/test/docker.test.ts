// Container files: there is no container engine on this machine, so this checks what can be checked without one:
// the Dockerfiles' shape (multi-stage on node:24-slim, non-root, health check, exec-form CMD), that every COPY
// source exists in the build context and is not filtered out by the .dockerignore, that ports and environment
// agree with the Kubernetes manifests, and that the image's entry command really starts the service (compiled
// with the same `tsc -b`, run with the image's environment) and passes the image's HEALTHCHECK.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, matchesGlob } from 'node:path';
import { randomBytes } from 'node:crypto';
import { containersOf } from './kustomize.ts';
import { envOf, execForm, parseDockerfile } from './dockerfile.ts';
import { usedMetrics } from './used-metrics.ts';
import { INFRA, REPO, SERVICES, find, get, list, render, scalar, str } from './manifests.ts';

const promtool = spawnSync('promtool', ['--version']).status === 0;
const ignoreFiles = SERVICES.map((s) => `${INFRA}docker/${s.name}.Dockerfile.dockerignore`);

function ignorePatterns(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** True when the .dockerignore patterns exclude `path` (or one of its parent folders). */
function ignored(path: string, patterns: readonly string[]): boolean {
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (patterns.some((p) => !p.startsWith('!') && matchesGlob(prefix, p))) return true;
  }
  return false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

test('the .dockerignore files are identical and keep every file the build needs', () => {
  const texts = ignoreFiles.map((f) => readFileSync(f, 'utf8'));
  assert.ok(texts.every((t) => t === texts[0]));
  const patterns = ignorePatterns(ignoreFiles[0] ?? '');
  for (const needed of [
    'package.json',
    'package-lock.json',
    'tsconfig.base.json',
    'packages/service-kit/src/index.ts',
  ]) {
    assert.equal(ignored(needed, patterns), false, needed);
  }
  for (const excluded of [
    'node_modules/yaml/package.json',
    'services/auth/dist/main.js',
    '.git/HEAD',
    'infra/README.md',
  ]) {
    assert.equal(ignored(excluded, patterns), true, excluded);
  }
});

for (const svc of SERVICES) {
  describe(`${svc.name}.Dockerfile`, () => {
    const file = `${INFRA}docker/${svc.name}.Dockerfile`;
    const { stages } = parseDockerfile(file);
    const [first, final] = [stages[0], stages.at(-1)];
    if (first === undefined || final === undefined) throw new Error(`${file}: no FROM`);
    const patterns = ignorePatterns(`${file}.dockerignore`);
    const manifest = containersOf(find(render(`${INFRA}services/${svc.dir}`), svc.kind, svc.name))[0] ?? {};

    test('multi-stage on node:24-slim, non-root user, health check on /health, exec-form CMD', () => {
      assert.ok(stages.length >= 2);
      for (const s of stages) assert.equal(s.image, 'node:24-slim');
      const user = final.instructions.filter((i) => i.keyword === 'USER').at(-1);
      assert.match(
        user?.args ?? '',
        /^[1-9]\d*:[1-9]\d*$/,
        'numeric non-root uid:gid (runAsNonRoot can verify it)',
      );
      const health = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
      assert.match(health?.args ?? '', /\/health/);
      const cmd = execForm(final.instructions.find((i) => i.keyword === 'CMD')?.args ?? '');
      assert.deepEqual(cmd, ['node', svc.main]);
      assert.equal(envOf(final).get('NODE_ENV'), 'production');
    });

    test('every COPY source exists in the context and survives the .dockerignore; --from names a stage', () => {
      const names = new Set(stages.map((s) => s.name));
      for (const s of stages) {
        for (const ins of s.instructions.filter((i) => i.keyword === 'COPY')) {
          const words = ins.args.split(/\s+/);
          const from = words.find((w) => w.startsWith('--from='));
          const paths = words.filter((w) => !w.startsWith('--'));
          const sources = paths.slice(0, -1);
          assert.ok(sources.length > 0, `line ${ins.line}`);
          if (from !== undefined) {
            assert.ok(names.has(from.slice('--from='.length)), `line ${ins.line}: ${from}`);
            continue;
          }
          for (const src of sources) {
            const rel = src.replace(/\/$/, '');
            assert.ok(existsSync(join(REPO, rel)), `line ${ins.line}: ${src} does not exist`);
            assert.equal(
              ignored(rel, patterns),
              false,
              `line ${ins.line}: ${src} is excluded by the .dockerignore`,
            );
          }
        }
      }
      // What the runtime stage copies from the build stage was copied into it or built there.
      const built = new Set([
        '/app/package.json',
        '/app/node_modules/',
        '/app/packages/',
        `/app/services/${svc.svc}/`,
      ]);
      for (const ins of final.instructions.filter((i) => i.keyword === 'COPY')) {
        assert.ok(built.has(ins.args.split(/\s+/)[1] ?? ''), `line ${ins.line}: ${ins.args}`);
      }
    });

    test('EXPOSE and ENV agree with the Kubernetes manifest', () => {
      const expose = final.instructions
        .filter((i) => i.keyword === 'EXPOSE')
        .flatMap((i) => i.args.split(/\s+/))
        .sort();
      const ports = list(manifest.ports)
        .map((p) => `${scalar(get(p, 'containerPort'))}/${str(get(p, 'protocol')).toLowerCase()}`)
        .sort();
      assert.deepEqual(expose, ports);
      const env = envOf(final);
      for (const e of list(manifest.env)) {
        const name = str(get(e, 'name'));
        if (env.has(name) && get(e, 'value') !== undefined)
          assert.equal(env.get(name), get(e, 'value'), name);
      }
      assert.ok(env.size >= 4);
    });

    const main = `${REPO}services/${svc.svc}/src/main.ts`;
    test(
      'the entry command starts the service with the image environment, passes the HEALTHCHECK, serves lint-clean /metrics',
      {
        skip: existsSync(main) ? false : `services/${svc.svc}/src/main.ts does not exist yet`,
        timeout: 240_000,
      },
      async () => {
        const tsc = spawnSync(
          process.execPath,
          [`${REPO}node_modules/typescript/bin/tsc`, '-b', `services/${svc.svc}`],
          {
            cwd: REPO,
            encoding: 'utf8',
          },
        );
        assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
        const dir = mkdtempSync(join(tmpdir(), `dt-${svc.short}-entry-`));
        const keyFile = join(dir, 'master-key');
        writeFileSync(keyFile, randomBytes(32).toString('base64'));
        const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir };
        for (const [k, v] of envOf(first)) env[k] = v;
        for (const [k, v] of envOf(final)) env[k] = v;
        // Same variables as the image, loopback and ephemeral ports instead of 0.0.0.0 and fixed ports.
        for (const k of Object.keys(env)) {
          if (k.endsWith('_HOST')) env[k] = '127.0.0.1';
          if (/_(PORT|WS_PORT|RPC_PORT)$/.test(k)) env[k] = String(await freePort());
        }
        const opsPort = env[`${svc.env}_OPS_PORT`] ?? '';
        if (env.DATA_DIR !== undefined) env.DATA_DIR = join(dir, 'data');
        if (svc.short === 'ac') env.AUTH_MASTER_KEY_FILE = keyFile;
        env.LOG_LEVEL = 'warn';
        const cmd = execForm(final.instructions.find((i) => i.keyword === 'CMD')?.args ?? '') ?? [];
        const health =
          execForm(
            final.instructions.find((i) => i.keyword === 'HEALTHCHECK')?.args.replace(/^.*?CMD\s+/, '') ?? '',
          ) ?? [];
        const child = spawn(process.execPath, cmd.slice(1), {
          cwd: REPO,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((resolve) => {
          child.on('exit', (code) => {
            resolve(code);
          });
        });
        try {
          let healthy = false;
          // A deadline, not a count: on a loaded machine PGlite's first start alone has taken over 30 s.
          const deadline = Date.now() + 120_000;
          while (Date.now() < deadline && !healthy && child.exitCode === null) {
            healthy = await fetch(`http://127.0.0.1:${opsPort}/health`).then(
              (r) => r.ok,
              () => false,
            );
            if (!healthy) await new Promise((r) => setTimeout(r, 100));
          }
          assert.ok(healthy, `no /health on ${opsPort}: ${stderr}`);
          // The service's own metrics, as Prometheus scrapes them: promtool's linter, bounded series per metric,
          // no personal data (e-mail addresses) in label values.
          const exposition = await fetch(`http://127.0.0.1:${opsPort}/metrics`).then((r) => r.text());
          if (promtool) {
            const lint = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
            assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
          }
          const series = new Map<string, number>();
          for (const line of exposition.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
            const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
            series.set(name, (series.get(name) ?? 0) + 1);
            assert.doesNotMatch(line, /[\w.+-]+@[\w-]+\.[\w.]+/, 'no e-mail address in a metric');
          }
          assert.ok(series.size > 10, 'the service exports metrics');
          // Every dt_* metric the dashboards and alert rules query for this service is one it exports.
          const families = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
          const absent = usedMetrics(svc.short).filter((name) => !families.has(name));
          assert.deepEqual(absent, [], `queried but not exported by ${svc.name}`);
          for (const [name, count] of series) assert.ok(count < 1000, `${name}: ${count} series`);
          assert.equal(health[0], 'node');
          const check = spawnSync(process.execPath, health.slice(1), { env, encoding: 'utf8' });
          assert.equal(check.status, 0, `HEALTHCHECK failed: ${check.stderr}`);
          child.kill('SIGTERM');
          assert.equal(await exited, 0, `exit after SIGTERM: ${stderr}`);
          const after = spawnSync(process.execPath, health.slice(1), { env, encoding: 'utf8' });
          assert.notEqual(after.status, 0, 'the HEALTHCHECK fails once the service is gone');
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
}
