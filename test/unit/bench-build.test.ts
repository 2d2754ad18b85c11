import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Every bench source file, relative to the repository root. */
function benchSources(dir = path.join(root, 'bench')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? benchSources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.relative(root, path.join(dir, e.name))]
        : [],
  );
}

describe('bench build (npm run bench compiles bench/tsconfig.json, then runs the output)', () => {
  let out: string;
  beforeAll(() => {
    // Inside the checkout (git-ignored), so the built bench finds node_modules as .bench-build/ does.
    mkdirSync(path.join(root, '.test-output'), { recursive: true });
    out = mkdtempSync(path.join(root, '.test-output', 'bench-build-'));
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'bench/tsconfig.json', '--outDir', out],
      { cwd: root, stdio: 'pipe' },
    );
  }, 180_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('when the bench loads a module by path (a workflow bundle), then the build holds it', () => {
    // Workflow code is bundled from a path, never imported, so tsc only emits it if the tsconfig includes it.
    const loads = benchSources().flatMap((file) =>
      [...readFileSync(path.join(root, file), 'utf8').matchAll(/require\.resolve\('([^']+)'\)/g)].map((m) => ({
        from: path.join(out, path.dirname(file)),
        target: m[1],
      })),
    );
    expect(loads.map((l) => l.target)).toEqual(expect.arrayContaining(['../src/workflows', './workflows']));
    for (const { from, target } of loads)
      expect([
        target,
        existsSync(`${path.resolve(from, target)}.js`) || existsSync(path.join(from, target, 'index.js')),
      ]).toEqual([target, true]);
  });

  test('when the built bench is asked for help, then it prints its usage and runs nothing', () => {
    const text = execFileSync(process.execPath, [path.join(out, 'bench', 'main.js'), '--help'], { encoding: 'utf8' });
    expect(text).toMatch(/^usage: npm run bench/);
    expect(text).toContain('--only FIGURES');
  });
});
