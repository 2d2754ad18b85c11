import { execFileSync } from 'node:child_process';
import { PRESETS } from '../../src/agents/presets';
import { agentCli, describeWithCli, type AgentCliName } from '../helpers/agent-clis';

/** The options a preset passes (`--flag` or `-x`), from its argv and its long form. */
function flagsOf(name: AgentCliName): string[] {
  const p = PRESETS[name];
  return [...new Set([...p.argv, ...(p.longArgv ?? [])].filter((w) => /^--?[a-zA-Z]/.test(w)))];
}

/** The help text a flag must appear in: Codex's options are those of its `exec` subcommand. */
function helpOf(name: AgentCliName, cliPath: string): string {
  const args = name === 'codex' ? ['exec', '--help'] : ['--help'];
  return execFileSync(cliPath, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    timeout: 60_000,
  });
}

for (const name of ['claude', 'codex', 'aider'] as const) {
  describeWithCli(name, `the ${name} preset against the real CLI's --help`, (cliPath) => {
    test(`when the pinned ${name} prints its help, then every flag the preset passes is one it knows (a renamed flag fails here)`, () => {
      const help = helpOf(name, cliPath);
      const unknown = flagsOf(name).filter(
        (flag) =>
          !new RegExp(`(^|[\\s,\\[])${flag.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}(?=[\\s,=\\]<]|$)`, 'm').test(help),
      );
      expect(unknown).toEqual([]);
    });

    test(`when the pinned ${name} is asked its version, then it is the one README and doctor name as tested`, () => {
      const cli = agentCli(name);
      expect(cli.path).not.toBeNull();
      expect(PRESETS[name].cli.tested).toBe((cli as { version: string }).version);
    });
  });
}

test('when a flag is removed from a CLI, then the check above reports it (the check itself can fail)', () => {
  const help = '  -p, --print   print\n  --model <m>\n';
  const known = (flag: string) =>
    new RegExp(`(^|[\\s,\\[])${flag.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}(?=[\\s,=\\]<]|$)`, 'm').test(help);
  expect(['-p', '--model'].every(known)).toBe(true);
  expect(known('--full-auto')).toBe(false);
  expect(known('--mod')).toBe(false);
});
