import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** package.json and package-lock.json of this checkout, alone in a temp dir (no node_modules). */
function copyManifests(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-lock-'));
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, f), path.join(dir, f));
  return dir;
}

function npm(cwd: string, ...args: string[]) {
  return spawnSync('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('package-lock.json (a fresh clone installs with npm ci and stays clean)', () => {
  test('when npm ci runs on package.json and package-lock.json alone, then it accepts the lock file', () => {
    const r = npm(copyManifests(), 'ci', '--dry-run');
    expect(`${r.stderr}`.match(/npm error.*/g) ?? []).toEqual([]);
    expect(r.status).toBe(0);
  });

  test('when npm works out the lock file from package.json, then it writes the same file (npm install modifies no tracked file)', () => {
    const dir = copyManifests();
    const before = readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
    const r = npm(dir, 'install', '--package-lock-only');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')).toBe(before);
  });

  test('when package.json asks for a package the lock file lacks, or the lock file misses a platform package, then npm ci refuses (the check above can fail)', () => {
    const added = copyManifests();
    const pkg = JSON.parse(readFileSync(path.join(added, 'package.json'), 'utf8'));
    pkg.dependencies['left-pad'] = '1.3.0';
    writeFileSync(path.join(added, 'package.json'), JSON.stringify(pkg, null, 2));
    expect(npm(added, 'ci', '--dry-run').status).not.toBe(0);

    // What npm 11 used to write on Linux: no @swc/core package for other platforms.
    const trimmed = copyManifests();
    const lock = JSON.parse(readFileSync(path.join(trimmed, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/@swc/core-darwin-arm64']).toBeDefined();
    delete lock.packages['node_modules/@swc/core-darwin-arm64'];
    writeFileSync(path.join(trimmed, 'package-lock.json'), JSON.stringify(lock, null, 2));
    expect(npm(trimmed, 'ci', '--dry-run').status).not.toBe(0);
  });
});
