import { brief, count, emptyReport, LineSplitter, parseJsonLine, sumCounts, type OutputReader } from './report';

type Json = Record<string, unknown>;

function contentBlocks(event: Json): Json[] {
  const message = event.message as Json | undefined;
  const content = message?.content;
  return Array.isArray(content) ? (content.filter((b) => b && typeof b === 'object') as Json[]) : [];
}

function toolResultText(block: Json): string {
  const content = block.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c: Json) => (typeof c?.text === 'string' ? c.text : '')).join(' ');
  return '';
}

/**
 * Claude Code's `--output-format stream-json --verbose` (and Cursor's, which has the same shape): one JSON
 * event a line — `system`, `assistant` (text and tool_use blocks), `user` (tool results), then `result` with
 * `is_error`, `num_turns`, `total_cost_usd`, `usage` and `permission_denials`. The transcript shows the
 * model's text, each tool call and each failed tool result; the result decides the outcome.
 */
export function claudeStreamReader(): OutputReader {
  const lines = new LineSplitter();
  const report = emptyReport();
  let sawText = false;

  const render = (line: string): string => {
    const event = parseJsonLine(line);
    if (!event || typeof event.type !== 'string') return line.trim() === '' ? '' : `${line}\n`;
    switch (event.type) {
      case 'assistant': {
        let out = '';
        for (const block of contentBlocks(event)) {
          if (block.type === 'text' && typeof block.text === 'string') {
            out += `${block.text}\n`;
            sawText = true;
          } else if (block.type === 'tool_use') out += `> ${String(block.name)} ${brief(block.input)}\n`;
        }
        return out;
      }
      case 'user': {
        let out = '';
        for (const block of contentBlocks(event)) {
          if (block.type === 'tool_result' && block.is_error === true)
            out += `! ${brief(toolResultText(block), 300)}\n`;
        }
        return out;
      }
      case 'system':
        return event.subtype === 'api_retry' ? readRetry(event) : '';
      case 'tool_call': // Cursor: a started/completed tool call
        return event.subtype === 'started' ? `> ${brief(event.tool_call)}\n` : '';
      case 'result':
        return readResult(event);
      default:
        return '';
    }
  };

  const readRetry = (event: Json): string => {
    const status = count(event.error_status);
    if (status !== null) report.apiStatus = status;
    const error = typeof event.error === 'string' ? event.error : 'error';
    // The CLI retries a refused key like any error (10 times, minutes): nothing but a new key helps.
    if (status === 401 || status === 403 || error === 'authentication_failed')
      report.hopeless = `model API ${status ?? ''} ${error}`.replace(/\s+/g, ' ');
    return `! model API call failed (${status ?? 'no answer'} ${error}); retry ${String(event.attempt ?? '?')} of ${String(event.max_retries ?? '?')}\n`;
  };

  const readResult = (event: Json): string => {
    const apiStatus = count(event.api_error_status);
    if (apiStatus !== null) report.apiStatus = apiStatus;
    const result = typeof event.result === 'string' ? event.result : null;
    report.finalText = result;
    if (event.is_error === true || (typeof event.subtype === 'string' && event.subtype.startsWith('error'))) {
      report.error = result || String(event.subtype ?? 'error');
    }
    const denials = Array.isArray(event.permission_denials) ? (event.permission_denials as Json[]) : [];
    report.denied = denials.map((d) => `${String(d.tool_name ?? 'tool')}: ${brief(d.tool_input, 120)}`);
    const usage = (event.usage ?? {}) as Json;
    report.usage = {
      tokensIn: sumCounts(usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens),
      tokensOut: count(usage.output_tokens),
      costUsd: count(event.total_cost_usd),
      turns: count(event.num_turns),
    };
    // The final answer is normally the last assistant text already shown; print it when it was not.
    return !sawText && result ? `${result}\n` : '';
  };

  return {
    current: () => report,
    stdout: (chunk) => lines.push(chunk).map(render).join(''),
    finish: () => {
      const text = lines.flush().map(render).join('');
      return { text, report };
    },
  };
}
