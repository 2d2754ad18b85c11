import { emptyReport, LineSplitter, type OutputReader } from './report';

/** `1.2k` → 1200, `345` → 345: aider's token counts. */
function tokenCount(text: string): number {
  const m = /^([\d.]+)\s*([kKmM]?)$/.exec(text.trim());
  if (!m) return NaN;
  const scale = m[2].toLowerCase() === 'k' ? 1e3 : m[2].toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(Number(m[1]) * scale);
}

const TOKENS_LINE =
  /^Tokens:\s*([\d.]+\s*[kKmM]?)\s+sent(?:,\s*([\d.]+\s*[kKmM]?)\s+cache write)?(?:,\s*([\d.]+\s*[kKmM]?)\s+cache hit)?,\s*([\d.]+\s*[kKmM]?)\s+received\.(?:\s*Cost:\s*\$([\d.]+)\s+message,\s*\$([\d.]+)\s+session\.)?/;

/** litellm's exceptions, as aider prints them: `litellm.AuthenticationError: …`, `litellm.RateLimitError: …`. */
const MODEL_ERROR_LINE = /^litellm\.(\w+Error|Timeout)\b:?(.*)$/;

/**
 * aider prints text only: its transcript as it is, and per model reply a line
 * `Tokens: 1.2k sent, 345 received. Cost: $0.01 message, $0.02 session.`, summed here.
 * It exits 0 even when the model API failed: a litellm error with no model reply after it is the run's error.
 */
export function aiderReader(): OutputReader {
  const lines = new LineSplitter();
  const report = emptyReport();
  let tokensIn = 0;
  let tokensOut = 0;
  let cost: number | null = null;
  let replies = 0;
  let continuing = false;
  const read = (line: string) => {
    const error = MODEL_ERROR_LINE.exec(line.trim());
    if (error) {
      report.error = line.trim();
      continuing = true;
      return;
    }
    // aider wraps long lines: the error's text goes on until a blank line
    if (continuing && line.trim() !== '' && report.error) {
      report.error = `${report.error} ${line.trim()}`.slice(0, 1000);
      return;
    }
    continuing = false;
    const m = TOKENS_LINE.exec(line.trim());
    if (!m) return;
    report.error = null; // a model reply came after it: aider retried and went on
    const sent = tokenCount(m[1]);
    const received = tokenCount(m[4]);
    if (Number.isFinite(sent)) tokensIn += sent;
    if (Number.isFinite(received)) tokensOut += received;
    if (m[6] !== undefined) cost = Number(m[6]);
    replies += 1;
  };
  return {
    current: () => report,
    stdout: (chunk) => {
      for (const line of lines.push(chunk)) read(line);
      return chunk;
    },
    finish: () => {
      for (const line of lines.flush()) read(line);
      report.usage = replies ? { tokensIn, tokensOut, costUsd: cost, turns: replies } : null;
      return { text: '', report };
    },
  };
}
