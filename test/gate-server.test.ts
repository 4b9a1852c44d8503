// Tests for scripts/lint/gate-server.ts and gate-server.py, the Python gates' warm start: a run
// through a server gives what the tool started cold gives (results, exit codes, output), the
// server's name changes with what a tool reads at import, servers exit when idle or asked, one
// per name, and `make lint`'s runner starts the ones it missed (BERTH_LINT_SERVER=1), none
// (`use`), or refuses a bad value in one line.
// Each test's servers carry an environment variable of their own (PYTHONBERTH_TEST_SERVER, which
// Python ignores, in the name as every PYTHON* variable is), so they are not the suite's.
// Run: node --import tsx --test test/gate-server.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCfnLint } from '../scripts/lint/cfn-lint.ts';
import { runCfripper } from '../scripts/lint/cfripper.ts';
import { checkovEnv, runCheckov } from '../scripts/lint/checkov.ts';
import { REPO_ROOT, type GateResult } from '../scripts/lint/common.ts';
import { packagesChanged, runningServers, runTool, serverMode, serverName, serverPids, serverReady, startServer, stopServer, toolEnv } from '../scripts/lint/gate-server.ts';
import { gateServerNames, main, startGateServers } from '../scripts/lint/main.ts';
import { tempDir } from './_helpers.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const INSECURE = path.join(FIXTURES, 'insecure', 'insecure.yaml');
const CLEAN = path.join(FIXTURES, 'clean', 'clean.yaml');

/** Runs `body` with process.env changed by `vars` (undefined removes one), then restores it. */
async function withEnv<T>(vars: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k];
    else process.env[k] = x;
  };
  set(vars);
  try {
    return await body();
  } finally {
    set(saved);
  }
}


/** Stops the servers `names`, and waits until none of them is listed any more. */
async function stopAll(names: readonly string[]): Promise<void> {
  await Promise.all(names.map(stopServer));
  for (let i = 0; i < 50 && runningServers().some((n) => names.includes(n)); i++) await new Promise((r) => setTimeout(r, 100));
}

/** What a gate found, without the time it took. */
const verdict = (r: GateResult) => ({ ...r, durationMs: 0 });

test('a run through a gate server gives exactly what the tool started cold gives: findings, exit codes, output', async () => {
  await withEnv({ PYTHONBERTH_TEST_SERVER: 'same-results', BERTH_LINT_SERVER: '1' }, async () => {
    const names = gateServerNames();
    try {
      startGateServers();
      for (const n of names) assert.ok(await serverReady(n), `server ${n} up`);
      assert.deepEqual(names.filter((n) => runningServers().includes(n)), names);

      const files = [INSECURE, CLEAN];
      const served = await Promise.all([runCfnLint(files), runCheckov(files), runCfripper(files)]);
      const cold = await withEnv({ BERTH_LINT_SERVER: '0' }, () => Promise.all([runCfnLint(files), runCheckov(files), runCfripper(files)]));
      for (const [i, r] of served.entries()) {
        assert.deepEqual(r.errors, [], `${r.gate}: no tool errors`);
        assert.equal(r.ok, false, `${r.gate}: the insecure fixture fails`);
        assert.deepEqual(verdict(r), verdict(cold[i]!), `${r.gate}: served and cold agree`);
      }

      // The runs really were served, and a tool's exit code, output and errors come back as it gave them.
      const lint = ['--format', 'json', '-c', 'I', '--regions', 'eu-west-1', '--', path.relative(REPO_ROOT, INSECURE)];
      const viaServer = await runTool('cfn-lint', lint);
      const direct = await withEnv({ BERTH_LINT_SERVER: '0' }, () => runTool('cfn-lint', lint));
      assert.equal(viaServer.served, true);
      assert.equal(direct.served, false);
      assert.equal(viaServer.code, direct.code);
      assert.notEqual(viaServer.code, 0, 'findings give a non-zero exit code');
      assert.deepEqual(JSON.parse(viaServer.stdout), JSON.parse(direct.stdout));
      const bad = await runTool('cfn-lint', ['--no-such-option']);
      const badDirect = await withEnv({ BERTH_LINT_SERVER: '0' }, () => runTool('cfn-lint', ['--no-such-option']));
      assert.equal(bad.served, true);
      assert.deepEqual([bad.code, bad.stdout, bad.stderr], [badDirect.code, badDirect.stdout, badDirect.stderr]);
      assert.match(bad.stderr, /unrecognized arguments: --no-such-option/);
      // checkov's arguments are the run's, not those the server started with (its default argv is read at import).
      const version = await runTool('checkov', ['--version'], checkovEnv());
      assert.equal(version.served, true);
      assert.match(version.stdout, /^\d+\.\d+\.\d+\s*$/);
    } finally {
      await stopAll(names);
    }
    assert.deepEqual(runningServers().filter((n) => names.includes(n)), [], 'stopped on request');
  });
});

test('a server\'s name follows what its tool reads at import, not what a run may change', () => {
  const base = { ...process.env, BERTH_LINT_SERVER: '1' };
  const name = serverName('cfripper', base);
  assert.match(name ?? '', new RegExp(`^berth-lint-${process.getuid!()}-cfripper-[0-9a-f]{16}$`));
  assert.equal(serverName('cfripper', { ...base, TMPDIR: '/elsewhere', BERTH_LINT_CACHE_DIR: '/x', BERTH_LINT_SERVER_IDLE: '5' }), name);
  assert.notEqual(serverName('cfripper', { ...base, BERTH_LINT_STOCK: '1' }), name);
  // The tools run in Python's UTF-8 mode, served or not, so the locale decides nothing (a deploy's LC_ALL=C).
  assert.equal(serverName('cfripper', { ...base, LC_ALL: 'C', LANG: 'C' }), name);
  assert.equal(toolEnv(base).PYTHONUTF8, '1');
  assert.notEqual(serverName('checkov', checkovEnv(base)), serverName('checkov', checkovEnv({ ...base, CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'true' })));
  assert.notEqual(serverName('cfn-lint', base), serverName('cfn-lint', { ...base, PYTHONPATH: '/tmp/other' }));
  assert.equal(serverName('cfn-lint', { ...base, BERTH_LINT_SERVER: '0' }), undefined);
  assert.equal(serverMode({ CI: 'true' }), 'use');
  assert.equal(serverMode({ CI: 'true', BERTH_LINT_SERVER: '1' }), 'on');
  assert.equal(serverMode({}), 'on');
  assert.throws(() => serverMode({ BERTH_LINT_SERVER: 'yes' }), { name: 'BerthError', message: 'BERTH_LINT_SERVER: `yes` is not a choice. Set 1 (use the lint servers, and start them), use (only those already up) or 0 (none), or unset it for 1.' });
});

test('a server exits after its idle time; of two started at once under one name, one serves', async () => {
  await withEnv({ PYTHONBERTH_TEST_SERVER: 'idle', BERTH_LINT_SERVER_IDLE: '2' }, async () => {
    const name = serverName('cfripper', process.env)!;
    const pids = [startServer('cfripper', process.env), startServer('cfripper', process.env)];
    try {
      assert.ok(await serverReady(name));
      const alive = (pid: number | undefined) => spawnSync('kill', ['-0', String(pid)]).status === 0;
      for (let i = 0; i < 50 && pids.every(alive); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(pids.filter(alive).length, 1, 'the second exits: the name is taken');
      const run = await runTool('cfripper', [JSON.stringify([{ file: CLEAN, regions: ['eu-west-1'] }])]);
      assert.equal(run.served, true);
      assert.equal(run.code, 0);
      for (let i = 0; i < 80 && runningServers().includes(name); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(!runningServers().includes(name), 'gone after 2 idle seconds');
      const cold = await runTool('cfripper', [JSON.stringify([{ file: CLEAN, regions: ['eu-west-1'] }])]);
      assert.equal(cold.served, false, 'no server: the tool starts cold');
      assert.deepEqual(JSON.parse(cold.stdout), JSON.parse(run.stdout));
    } finally {
      await stopAll([name]);
    }
  });
});

test('the runner starts the servers a run missed (BERTH_LINT_SERVER=1), none with `use`, and refuses another value in one line', async () => {
  const cache = tempDir('gate-server-cache');
  try {
    const lint = () => main([path.join(FIXTURES, 'clean'), '--no-cache'], () => undefined, () => undefined);
    await withEnv({ PYTHONBERTH_TEST_SERVER: 'use-only', BERTH_LINT_SERVER: 'use', BERTH_LINT_CACHE_DIR: cache }, async () => {
      assert.equal(await lint(), 0);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(runningServers().filter((n) => gateServerNames().includes(n)), [], '`use` starts none');
    });
    await withEnv({ PYTHONBERTH_TEST_SERVER: 'started', BERTH_LINT_SERVER: '1', BERTH_LINT_CACHE_DIR: cache, BERTH_LINT_SERVER_IDLE: '60' }, async () => {
      const names = gateServerNames();
      try {
        assert.equal(await lint(), 0);
        // Each binds its name before it imports its tool: listed, they are up; killed then, they
        // cost the suite no import.
        for (let i = 0; i < 100 && !names.every((n) => runningServers().includes(n)); i++) await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(names.filter((n) => runningServers().includes(n)), names, 'the three servers started after the run');
      } finally {
        for (const pid of serverPids(names)) process.kill(pid, 'SIGKILL');
        await stopAll(names);
      }
    });
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
  const r = spawnSync('make', ['-s', 'lint', `OUT_DIR=${path.relative(REPO_ROOT, path.join(FIXTURES, 'clean'))}`], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, BERTH_LINT_SERVER: 'sometimes' } });
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^lint: BERTH_LINT_SERVER: `sometimes` is not a choice\. Set 1 \(use the lint servers, and start them\), use \(only those already up\) or 0 \(none\), or unset it for 1\.\n(make(\[\d+\])?: \*\*\* .*\n)?$/);
});

test('`make lint-stop` stops the gate servers and says how many', async () => {
  // make runs the runner's --stop-servers (dry run: the real one would stop the suite's servers too).
  const dry = spawnSync('make', ['-n', '-s', 'lint-stop'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^\S*node\S* (dist\/tools\.cjs|--import tsx) scripts\/lint\/main\.ts --stop-servers$/m);
  const mine = { ...process.env, PYTHONBERTH_TEST_SERVER: 'lint-stop' };
  const name = serverName('cfripper', mine)!;
  startServer('cfripper', mine);
  try {
    assert.ok(await serverReady(name));
    const lines: string[] = [];
    assert.equal(await main(['--stop-servers'], (l) => lines.push(l), (l) => lines.push(l), () => [name, `${name.slice(0, -4)}0000`]), 0);
    assert.deepEqual(lines, ['lint: stopped 1 gate server'], 'one was up, the other name had no server');
    for (let i = 0; i < 50 && runningServers().includes(name); i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(!runningServers().includes(name));
    // Its name is free at once: a server started right after serves.
    startServer('cfripper', mine);
    assert.ok(await serverReady(name));
  } finally {
    await stopAll([name]);
  }
});

test('a server answers only its own user', async (t) => {
  const mine = { ...process.env, PYTHONBERTH_TEST_SERVER: 'peer' };
  const name = serverName('cfripper', mine)!;
  startServer('cfripper', mine);
  try {
    assert.ok(await serverReady(name));
    // Another user (nobody, through setpriv) connects and sends a run: the connection is closed unread.
    // (closed unread: the client then reads nothing, or finds the connection reset or its request
    // refused, depending on when the server closed it)
    const connect = `import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect("\\0"+sys.argv[1])\ntry:\n  s.sendall(b'{"ping": true}\\n')\n  print(repr(s.recv(100)))\nexcept (ConnectionResetError, BrokenPipeError):\n  print("closed")`;
    // Only root may run a process as another user: elsewhere this part is reported, not run.
    if (process.getuid!() === 0) {
      const other = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/python3', '-c', connect, name], { encoding: 'utf8' });
      assert.equal(other.status, 0, other.stderr);
      assert.match(other.stdout, /^(b''|closed)\n$/, 'another user gets no answer');
    } else {
      t.diagnostic('not root: the connection from another user is not tried');
    }
    const same = spawnSync('/usr/bin/python3', ['-c', connect, name], { encoding: 'utf8' });
    assert.equal(same.stdout, `b'{"pong": true}\\n'\n`, 'its own user does');

  } finally {
    await stopAll([name]);
  }
});

test('a package installed or removed gives the runs another server: the name holds when site-packages last changed', async () => {
  // A copy of .venv/lib's shape, not the real one, which the suite's servers are named after.
  const lib = tempDir('gate-server-venv');
  const site = path.join(lib, 'python3.11', 'site-packages');
  mkdirSync(site, { recursive: true });
  try {
    const before = packagesChanged(lib);
    assert.equal(packagesChanged(lib), before);
    await new Promise((r) => setTimeout(r, 20));
    mkdirSync(path.join(site, 'cfn_lint-9.9.9.dist-info')); // what pip does to install a version
    assert.notEqual(packagesChanged(lib), before);
  } finally {
    await rm(lib, { recursive: true, force: true });
  }
  assert.match(packagesChanged(), /^python3\.\d+@\d+(\.\d+)?$/, "the name's part for the real .venv");
});
