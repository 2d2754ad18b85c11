import type { AgentUsage } from '../../shared/contracts/task';

/** What an agent CLI reported about its own run, beyond its exit code. */
export interface AgentReport {
  /** The agent's final answer, where the CLI reports it apart from its transcript. */
  finalText: string | null;
  /** The CLI said the run ended in error (Claude Code `is_error`, Codex `turn.failed`), with its message. */
  error: string | null;
  /** Tool calls the CLI refused, as `Tool: input` lines. */
  denied: string[];
  usage: AgentUsage | null;
  /** The HTTP status of the model API's last refusal, where the CLI reports it (Claude Code `api_error_status`). */
  apiStatus: number | null;
  /**
   * Set while the CLI still runs when waiting cannot help (the model API refused the credential and the CLI
   * is only retrying): the agent is stopped at once.
   */
  hopeless: string | null;
}

/**
 * Reads an agent's stdout as it arrives. `stdout` returns the human-readable transcript of the chunk
 * (what goes to the task log and the output tail, and where VERDICT/NEEDS_DECISION lines are looked for).
 */
export interface OutputReader {
  stdout(chunk: string): string;
  /** What is known so far, while the CLI runs. */
  current(): AgentReport;
  finish(): { text: string; report: AgentReport };
}

export function emptyReport(): AgentReport {
  return { finalText: null, error: null, denied: [], usage: null, apiStatus: null, hopeless: null };
}

/** Splits a stream into whole lines; the rest waits for the next chunk (or `flush`). */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const lines = (this.rest + chunk).split('\n');
    this.rest = lines.pop() ?? '';
    return lines;
  }

  flush(): string[] {
    const rest = this.rest;
    this.rest = '';
    return rest === '' ? [] : [rest];
  }
}

/** A number the CLI reported, or null when it is not a usable count. */
export function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

export function sumCounts(...values: unknown[]): number | null {
  const known = values.map(count).filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

/** One line of a tool's input for the transcript: enough to see what it did, never the whole file. */
export function brief(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

export function parseJsonLine(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
