import { brief, count, emptyReport, LineSplitter, parseJsonLine, sumCounts, type OutputReader } from './report';

type Json = Record<string, unknown>;

/**
 * Codex's `exec --json`: one JSON event a line — `thread.started`, `turn.started`, `item.started` /
 * `item.completed` (agent_message, command_execution, file_change, …), `turn.completed` with `usage`, or
 * `turn.failed` / `error`. The transcript shows the agent's messages, each command with its exit code and
 * each file change; the last agent message is the final answer.
 */
export function codexJsonReader(): OutputReader {
  const lines = new LineSplitter();
  const report = emptyReport();
  let tokensIn: number | null = null;
  let tokensOut: number | null = null;
  let turns = 0;

  const renderItem = (item: Json): string => {
    switch (item.type) {
      case 'agent_message':
        if (typeof item.text !== 'string') return '';
        report.finalText = item.text;
        return `${item.text}\n`;
      case 'command_execution': {
        const exit =
          item.exit_code === undefined || item.exit_code === null
            ? String(item.status ?? '')
            : `exit ${String(item.exit_code)}`;
        if (item.status === 'declined') report.denied.push(`exec_command: ${brief(item.command, 120)}`);
        const output =
          typeof item.aggregated_output === 'string' && item.aggregated_output.trim()
            ? `${brief(item.aggregated_output, 300)}\n`
            : '';
        return `$ ${brief(item.command)} (${exit})\n${output}`;
      }
      case 'file_change': {
        const changes = Array.isArray(item.changes) ? (item.changes as Json[]) : [];
        if (item.status === 'declined' || item.status === 'failed')
          report.denied.push(`apply_patch: ${changes.map((c) => String(c.path)).join(', ')}`);
        return changes.map((c) => `~ ${String(c.kind ?? 'edit')} ${String(c.path)}\n`).join('');
      }
      case 'error':
        return `! ${brief(item.message, 300)}\n`;
      default:
        return '';
    }
  };

  const render = (line: string): string => {
    const event = parseJsonLine(line);
    if (!event || typeof event.type !== 'string') return line.trim() === '' ? '' : `${line}\n`;
    switch (event.type) {
      case 'item.completed':
        return event.item && typeof event.item === 'object' ? renderItem(event.item as Json) : '';
      case 'turn.completed': {
        turns += 1;
        const usage = (event.usage ?? {}) as Json;
        tokensIn = sumCounts(tokensIn, usage.input_tokens);
        tokensOut = sumCounts(tokensOut, usage.output_tokens);
        return '';
      }
      case 'turn.failed': {
        const error = (event.error ?? {}) as Json;
        report.error = typeof error.message === 'string' ? error.message : 'turn failed';
        return `! ${brief(report.error, 500)}\n`;
      }
      case 'error':
        report.error = typeof event.message === 'string' ? event.message : 'error';
        return `! ${brief(report.error, 500)}\n`;
      default:
        return '';
    }
  };

  return {
    current: () => report,
    stdout: (chunk) => lines.push(chunk).map(render).join(''),
    finish: () => {
      const text = lines.flush().map(render).join('');
      report.usage =
        tokensIn === null && tokensOut === null ? null : { tokensIn, tokensOut, costUsd: null, turns: count(turns) };
      return { text, report };
    },
  };
}
