import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * scripts/setup.js in a temp checkout (package.json, package-lock.json, no lib/), run with an `npm`
 * on PATH that records its arguments and fails, so setup stops right after the install step.
 */
function runSetupInstallStep(o: { nodeModules: boolean }): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-setup-'));
  mkdirSync(path.join(dir, 'scripts'));
  copyFileSync(path.join(ROOT, 'scripts', 'setup.js'), path.join(dir, 'scripts', 'setup.js'));
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, f), path.join(dir, f));
  if (o.nodeModules) mkdirSync(path.join(dir, 'node_modules'));
  const bin = path.join(dir, 'fake-bin');
  mkdirSync(bin);
  const record = path.join(dir, 'npm-args');
  writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${record}'\nexit 3\n`);
  chmodSync(path.join(bin, 'npm'), 0o755);
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'setup.js')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  expect(r.status).toBe(1); // the failed install stops setup
  expect(r.stderr).toMatch(/\[setup\] npm (ci|install) failed/);
  return readFileSync(record, 'utf8').trim().split('\n');
}

describe('scripts/setup.js installs npm dependencies', () => {
  test('when node_modules is absent (a fresh clone), then it runs npm ci, which installs the lock file as it is and never rewrites it', () => {
    expect(runSetupInstallStep({ nodeModules: false })).toEqual(['ci', '--no-audit', '--no-fund']);
  });

  test('when node_modules exists but is out of date, then it runs npm install, which keeps what is there', () => {
    expect(runSetupInstallStep({ nodeModules: true })).toEqual(['install', '--no-audit', '--no-fund']);
  });
});
