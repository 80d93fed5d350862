/**
 * `bash .ci/run` installs everything CI needs: Chromium (the e2e suites), a Docker engine (the
 * docker backend's tests, through scripts/docker-setup.sh), the npm dependencies, then runs
 * `npm test` under CI=true, where a missing Chromium or engine fails instead of skipping.
 *
 * Run on copies of .ci/run and scripts/docker-setup.sh with PATH holding only stand-ins and the
 * few system tools the scripts use: `apt-get` records what it is asked and "installs" a package
 * by putting that package's stand-in on PATH (chromium; docker and dockerd for docker.io);
 * `dockerd` brings the stand-in engine up, which `docker info` then answers; `npm` records its
 * arguments and environment. Nothing real is installed, started or downloaded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'ci-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The system tools .ci/run and docker-setup.sh use besides what they install. */
const TOOLS = ['bash', 'sh', 'cat', 'id', 'dirname', 'date', 'tail', 'sleep', 'rm', 'nohup'];

function which(tool: string): string {
  for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) if (existsSync(join(d, tool))) return join(d, tool);
  throw new Error(`no ${tool} on this machine`);
}

/** Stand-ins, by package: what apt-get install puts on PATH. */
const STANDINS: Record<string, Record<string, string>> = {
  chromium: { chromium: 'echo "chromium $*" >> "$CI_CALLS"\necho "Chromium 999.0 (stand-in)"\n' },
  'docker.io': {
    docker: [
      'echo "docker $*" >> "$CI_CALLS"',
      'case "$1" in',
      '  info) [ -f "$CI_STATE/engine-up" ] ;;',
      '  version) echo "client 99, server 99 (stand-in)" ;;',
      '  *) exit 1 ;;',
      'esac',
      '',
    ].join('\n'),
    dockerd: 'echo "dockerd $*" >> "$CI_CALLS"\n: > "$CI_STATE/engine-up"\n',
  },
};

let runs = 0;
async function ciRun(opts: { installed?: string[]; engineUp?: boolean; npmTestStatus?: number } = {}) {
  const dir = join(work, `run-${++runs}`);
  const repo = join(dir, 'repo');
  const bin = join(dir, 'bin');
  const state = join(dir, 'state');
  for (const d of [join(repo, '.ci'), join(repo, 'scripts'), bin, state]) mkdirSync(d, { recursive: true });
  copyFileSync(join(ROOT, '.ci', 'run'), join(repo, '.ci', 'run'));
  copyFileSync(join(ROOT, 'scripts', 'docker-setup.sh'), join(repo, 'scripts', 'docker-setup.sh'));
  for (const t of TOOLS) symlinkSync(which(t), join(bin, t));
  const write = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!${which('bash')}\n${body}`);
    chmodSync(join(bin, name), 0o755);
  };
  // apt-get: records, and installs a package's stand-ins
  const pkgs = join(dir, 'pkgs');
  for (const [pkg, tools] of Object.entries(STANDINS)) {
    mkdirSync(join(pkgs, pkg), { recursive: true });
    for (const [name, body] of Object.entries(tools)) writeFileSync(join(pkgs, pkg, name), `#!${which('bash')}\n${body}`);
  }
  write('apt-get', `echo "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >> "$CI_CALLS"\nif [ "$1" = install ]; then for p in "$@"; do if [ -d "${pkgs}/$p" ]; then for f in "${pkgs}/$p"/*; do ${which('cp')} "$f" "${bin}/"; ${which('chmod')} 755 "${bin}/\${f##*/}"; done; fi; done; fi\n`);
  write('npm', `echo "npm $* (CI=$CI ELECTRON_SKIP_BINARY_DOWNLOAD=$ELECTRON_SKIP_BINARY_DOWNLOAD cwd=$PWD)" >> "$CI_CALLS"\nif [ "$1" = test ]; then echo "3 passed, 0 failed, 0 skipped"; exit ${opts.npmTestStatus ?? 0}; fi\n`);
  // no dockerd runs unless the stand-in engine was started
  write('pgrep', 'exit 1\n');
  for (const pkg of opts.installed ?? []) for (const [name, body] of Object.entries(STANDINS[pkg])) write(name, body);
  if (opts.engineUp) writeFileSync(join(state, 'engine-up'), '');
  const calls = join(dir, 'calls.txt');
  writeFileSync(calls, '');
  const child = spawn(which('bash'), [join(repo, '.ci', 'run')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: bin,
      HOME: dir,
      CI_CALLS: calls,
      CI_STATE: state,
      DOCKER_SETUP_LOG: join(dir, 'dockerd.log'),
      DOCKER_SETUP_PIDFILE: join(dir, 'docker.pid'),
      DOCKER_SETUP_WAIT_S: '30',
    },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  return { code, out, repo, calls: readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
}

describe('bash .ci/run', () => {
  it('on a bare machine installs Chromium and docker.io, starts the engine and waits for it, installs the npm dependencies, then runs npm test under CI=true', async () => {
    const r = await ciRun();
    expect(r.code, r.out).toBe(0);
    const env = `(CI=true ELECTRON_SKIP_BINARY_DOWNLOAD=1 cwd=${r.repo})`;
    // in this order; `docker info` is asked until the engine answers
    const calls = r.calls.filter((c, i) => !(c === 'docker info' && r.calls[i + 1] === 'docker info'));
    expect(calls).toEqual([
      'apt-get update -qq (DEBIAN_FRONTEND=noninteractive)',
      'apt-get install -y -qq chromium (DEBIAN_FRONTEND=noninteractive)',
      'chromium --version',
      'apt-get update -qq (DEBIAN_FRONTEND=noninteractive)',
      'apt-get install -y -qq docker.io (DEBIAN_FRONTEND=noninteractive)',
      'docker info',
      'dockerd ',
      'docker info',
      "docker version --format client {{.Client.Version}}, server {{.Server.Version}}",
      `npm ci --no-audit --no-fund ${env}`,
      `npm test ${env}`,
    ]);
    expect(r.out).toMatch(/docker-setup: starting dockerd in the background/);
    expect(r.out).toMatch(/docker-setup: Docker is running/);
    // the desktop path is said to be untested where CI's log is read
    expect(r.out).toMatch(/note: no Electron binary is downloaded here: the desktop \(Electron\) path is untested in this CI run/);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe('3 passed, 0 failed, 0 skipped');
  }, 60_000);

  it('where Chromium and a running engine are there it installs nothing, and still runs npm ci and npm test', async () => {
    const r = await ciRun({ installed: ['chromium', 'docker.io'], engineUp: true });
    expect(r.code, r.out).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('apt-get') || c.startsWith('dockerd'))).toEqual([]);
    expect(r.out).toMatch(/docker-setup: Docker is already running/);
    expect(r.calls.filter((c) => c.startsWith('npm')).map((c) => c.split(' (')[0])).toEqual(['npm ci --no-audit --no-fund', 'npm test']);
  }, 60_000);

  it('fails when npm test fails', async () => {
    const r = await ciRun({ installed: ['chromium', 'docker.io'], engineUp: true, npmTestStatus: 1 });
    expect(r.code).toBe(1);
  }, 60_000);
});
