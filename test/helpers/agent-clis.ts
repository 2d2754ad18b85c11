import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pins from '../../scripts/agent-clis.json';

/**
 * The real coding-agent CLIs that scripts/setup.js installs into .tools (versions in
 * scripts/agent-clis.json), and the clean environment to run them against a scripted model
 * server on loopback: a temp HOME (no user config, no login), no telemetry or update checks,
 * the server's URL, dummy keys.
 */

export type AgentCliName = 'claude' | 'codex' | 'aider';

export const AGENT_CLI_PINS = pins;
export const AGENT_CLI_VERSIONS: Record<AgentCliName, string> = {
  claude: pins.claude.version,
  codex: pins.codex.version,
  aider: pins.aider.version,
};

const ROOT = path.resolve(__dirname, '../..');
const STATUS_FILE = path.join(ROOT, '.tools', 'agent-clis.status.json');

type Status = { ok: true; path: string; version: string } | { ok: false; reason: string };

/** The CLI's path, or why it is not there (setup's recorded reason). */
export function agentCli(name: AgentCliName): { path: string; version: string } | { path: null; reason: string } {
  let status: Partial<Record<AgentCliName, Status>> = {};
  try {
    status = JSON.parse(readFileSync(STATUS_FILE, 'utf8'));
  } catch {
    return {
      path: null,
      reason: 'agent CLIs not installed: run `node scripts/setup.js --agents` (npm test does this)',
    };
  }
  const s = status[name];
  if (!s)
    return {
      path: null,
      reason: `${name} missing from ${path.relative(ROOT, STATUS_FILE)}: run \`node scripts/setup.js --agents\``,
    };
  if (!s.ok) return { path: null, reason: s.reason };
  if (s.version !== AGENT_CLI_VERSIONS[name])
    return {
      path: null,
      reason: `${name} ${s.version} installed, ${AGENT_CLI_VERSIONS[name]} pinned: run \`node scripts/setup.js --agents\``,
    };
  if (!existsSync(s.path)) return { path: null, reason: `${s.path} is gone: run \`node scripts/setup.js --agents\`` };
  return { path: s.path, version: s.version };
}

/** The CLI's path, or null when it is not installed (agentCli(name).reason says why). */
export function agentCliPath(name: AgentCliName): string | null {
  return agentCli(name).path;
}

/**
 * `describe` when the CLI is installed; otherwise a skipped describe whose title names the
 * reason (and the reason on stderr), so a missing CLI shows in the run instead of passing
 * silently. NIGHTSHIFT_REQUIRE_AGENT_CLIS=1, or CI=true (CI must not pass by skipping them), turns a
 * missing CLI into a failure.
 */
export function describeWithCli(name: AgentCliName, title: string, fn: (cliPath: string) => void): void {
  const cli = agentCli(name);
  if (cli.path !== null) {
    const cliPath = cli.path;
    describe(title, () => fn(cliPath));
    return;
  }
  if (process.env.NIGHTSHIFT_REQUIRE_AGENT_CLIS === '1' || process.env.CI === 'true') {
    describe(title, () => {
      test(`${name} CLI is installed`, () => {
        throw new Error(`${name} CLI not available: ${cli.reason}`);
      });
    });
    return;
  }
  process.stderr.write(`[agent tests] skipping "${title}": ${name} CLI not available (${cli.reason})\n`);
  describe.skip(`${title} [SKIPPED: ${name} CLI not available: ${cli.reason}]`, () => {
    test('skipped', () => undefined);
  });
}

export interface AgentCliEnvOptions {
  /** The scripted server's base URL (`srv.url`, no `/v1`). */
  baseUrl: string;
  /** The temp HOME to use (created when absent). */
  home?: string;
  apiKey?: string;
  /** Codex provider retries (its defaults retry 5 times with backoff: slow for failure tests). */
  codexRetries?: { request?: number; stream?: number; streamIdleTimeoutMs?: number };
  /** Extra variables (override the defaults). */
  extra?: Record<string, string>;
}

export interface AgentCliEnv {
  env: Record<string, string>;
  home: string;
  /** $CODEX_HOME (codex only): holds the config.toml with the local provider. */
  codexHome?: string;
}

/** The model provider name in the Codex config.toml agentCliEnv writes. */
export const CODEX_PROVIDER = 'scripted';

/**
 * A clean environment for the CLI: nothing of the caller's environment but PATH (git, node,
 * python), a temp HOME and XDG dirs, the server's URL and a dummy key, and the CLI's switches
 * that stop telemetry, update checks and remote price lists.
 */
export function agentCliEnv(name: AgentCliName, opts: AgentCliEnvOptions): AgentCliEnv {
  const home = opts.home ?? mkdtempSync(path.join(os.tmpdir(), `nightshift-${name}-home-`));
  mkdirSync(home, { recursive: true });
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    TMPDIR: os.tmpdir(),
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    GIT_AUTHOR_NAME: 'test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
  };
  // Git identity for the CLI's own git calls (aider warns without one, commits need one).
  writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = test\n\temail = test@example.invalid\n');
  const out: AgentCliEnv = { env: base, home };
  if (name === 'claude') {
    Object.assign(base, {
      ANTHROPIC_BASE_URL: opts.baseUrl,
      ANTHROPIC_API_KEY: opts.apiKey ?? 'sk-ant-scripted-test-key',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    });
  } else if (name === 'codex') {
    const codexHome = path.join(home, '.codex');
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(path.join(codexHome, 'config.toml'), codexConfigToml(opts));
    Object.assign(base, { CODEX_HOME: codexHome, OPENAI_API_KEY: opts.apiKey ?? 'sk-scripted-test-key' });
    out.codexHome = codexHome;
  } else {
    // aider fetches litellm's price list from GitHub unless its cache file is fresh and not
    // empty; with a placeholder entry it falls back to litellm's bundled copy
    // (LITELLM_LOCAL_MODEL_COST_MAP) without a request.
    const caches = path.join(home, '.aider', 'caches');
    mkdirSync(caches, { recursive: true });
    writeFileSync(path.join(caches, 'model_prices_and_context_window.json'), '{"nightshift-placeholder": {}}');
    Object.assign(base, {
      OPENAI_API_BASE: `${opts.baseUrl}/v1`,
      OPENAI_API_KEY: opts.apiKey ?? 'sk-scripted-test-key',
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      // The same switches as --no-check-update --analytics-disable, for argv that lacks them.
      AIDER_CHECK_UPDATE: 'false',
      AIDER_ANALYTICS_DISABLE: 'true',
    });
  }
  Object.assign(base, opts.extra ?? {});
  return out;
}

export function codexConfigToml(opts: Pick<AgentCliEnvOptions, 'baseUrl' | 'codexRetries'>): string {
  const r = opts.codexRetries ?? {};
  const lines = [
    `model_provider = "${CODEX_PROVIDER}"`,
    'check_for_update_on_startup = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    `[model_providers.${CODEX_PROVIDER}]`,
    'name = "Scripted test server"',
    `base_url = "${opts.baseUrl}/v1"`,
    'wire_api = "responses"',
    'env_key = "OPENAI_API_KEY"',
  ];
  if (r.request !== undefined) lines.push(`request_max_retries = ${r.request}`);
  if (r.stream !== undefined) lines.push(`stream_max_retries = ${r.stream}`);
  if (r.streamIdleTimeoutMs !== undefined) lines.push(`stream_idle_timeout_ms = ${r.streamIdleTimeoutMs}`);
  return `${lines.join('\n')}\n`;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when runAgentCli killed it at `killAfterMs` (it had not exited on its own). */
  killedByTest: boolean;
}

/**
 * Runs the CLI as argv (no shell) in its own process group and waits for it to exit; after
 * `killAfterMs`, or once `killWhen` returns true (polled), it kills the whole group (Codex's npm
 * wrapper leaves its native binary running when only the wrapper is killed).
 */
export function runAgentCli(
  cliPath: string,
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    killAfterMs?: number;
    killWhen?: (seen: { stdout: string; stderr: string }) => boolean;
    stdin?: string;
  },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cliPath, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let killedByTest = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      killedByTest = true;
      killGroup();
    }, opts.killAfterMs ?? 60_000);
    const poll = opts.killWhen
      ? setInterval(() => {
          if (!opts.killWhen!({ stdout, stderr })) return;
          killedByTest = true;
          killGroup();
        }, 200)
      : undefined;
    child.once('error', (err) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      killGroup(); // helpers it left behind (the CLI has exited: nothing of its own is lost)
      resolve({ code, signal, stdout, stderr, killedByTest });
    });
  });
}

/** A git repository in a temp dir with these files committed (the CLIs work in a work tree). */
export function tempRepo(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-agent-repo-'));
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], {
      cwd: dir,
      stdio: 'ignore',
    });
  };
  git('init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'init');
  return dir;
}

/** The JSON lines of a CLI's stdout (non-JSON lines are skipped). */
export function jsonLines(stdout: string): any[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

/** A killWhen condition: true `ms` after `count()` first reached `n` (e.g. the server's requests). */
export function afterCount(count: () => number, n: number, ms: number): () => boolean {
  let reachedAt: number | null = null;
  return () => {
    if (reachedAt === null && count() >= n) reachedAt = Date.now();
    return reachedAt !== null && Date.now() - reachedAt >= ms;
  };
}
