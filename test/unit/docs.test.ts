import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envSchema } from '../../src/config';
import { VERSION } from '../../src/version';

const root = path.resolve(__dirname, '../..');

describe('docs stay true', () => {
  test('when a variable is in the config schema, then the README env table lists it', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const missing = Object.keys(envSchema.shape).filter((k) => !readme.includes(`| \`${k}\` |`));
    expect(missing).toEqual([]);
  });

  test('when the version is reported, then it is the package version', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  });

  test('when CI runs, then .ci/run checks the types (product and bench), lint and formatting, calls exactly the README test command, then a non-blocking coverage dry run', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const ci = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    expect(readme).toMatch(/^npm test\s/m);
    const commands = ci
      .split('\n')
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('set ') && !l.startsWith('cd '));
    expect(commands.slice(0, 5)).toEqual([
      'npm run setup',
      'npm run typecheck',
      'npm run lint',
      'npm run format:check',
      'npm test',
    ]);
    expect(commands.slice(5)).toEqual([
      expect.stringMatching(/^node bin\/nightshift\.js coverage --tests-passed --dry-run \|\| /),
    ]);
  });
});
