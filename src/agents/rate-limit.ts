/**
 * Usage limits of agent CLIs ("usage limit reached … resets at …"): the task is
 * not a failure, the pipeline waits until the limit resets. The reset time is
 * read from the message when it says one, else PIPELINE_RATE_LIMIT_BACKOFF_MINUTES.
 */
export const DEFAULT_RATE_LIMIT_PATTERN = String.raw`usage limit (?:reached|exceeded|hit)|hit (?:your|the) usage limit|(?:5-hour|weekly|daily) limit reached|rate limit(?:ed)? (?:reached|exceeded)|quota exceeded|limit reached[^\n]{0,60}resets|last status: 429\b|Request rejected \(429\)|\b429 Too Many Requests|rate_limit_error|RateLimitError`;

const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
};

function unitMs(unit: string): number {
  const u = unit.toLowerCase();
  const singular = u.length > 1 ? u.replace(/s$/, '') : u;
  return UNIT_MS[u] ?? UNIT_MS[singular] ?? UNIT_MS[singular.slice(0, 3)] ?? UNIT_MS[singular[0]] ?? 0;
}

/** The reset time a limit message names, if any (UTC when it gives a clock time). */
export function parseResetTime(text: string, now: Date): Date | null {
  const epoch = /\|\s*(\d{10})(?:\b|$)/.exec(text); // Claude Code: "usage limit reached|1763791200"
  if (epoch) return new Date(Number(epoch[1]) * 1000);
  const iso = /(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d))/.exec(text);
  if (iso && /reset|try again|until|after/i.test(text)) {
    const d = new Date(iso[1]);
    if (!Number.isNaN(d.getTime())) return d;
  }
  const rel =
    /(?:try again|retry|resets?|available again)\s+in\s+((?:\d+(?:\.\d+)?\s*(?:hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b[\s,and]*)+)/i.exec(
      text,
    );
  if (rel) {
    let ms = 0;
    for (const m of rel[1].matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) ms += Number(m[1]) * unitMs(m[2]);
    if (ms > 0) return new Date(now.getTime() + ms);
  }
  const clock = /resets?(?:\s+at)?\s+(\d{1,2})(?::(\d\d))?\s*(am|pm)?/i.exec(text);
  if (clock) {
    let hour = Number(clock[1]) % 24;
    const minute = Number(clock[2] ?? 0);
    const meridiem = clock[3]?.toLowerCase();
    if (meridiem === 'pm' && hour < 12) hour += 12;
    if (meridiem === 'am' && hour === 12) hour = 0;
    const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour, minute));
    if (at.getTime() <= now.getTime()) at.setUTCDate(at.getUTCDate() + 1);
    return at;
  }
  return null;
}

/** When the output says the agent hit a usage limit: until when to wait; otherwise null. */
export function detectRateLimit(output: string, pattern: string, now: Date, backoffMinutes: number): Date | null {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'i');
  } catch {
    re = new RegExp(DEFAULT_RATE_LIMIT_PATTERN, 'i');
  }
  const m = re.exec(output);
  if (!m) return null;
  // Read the reset time near the match, not from unrelated text elsewhere in the output.
  const around = output.slice(Math.max(0, m.index - 200), m.index + m[0].length + 300);
  const reset = parseResetTime(around, now);
  return reset && reset.getTime() > now.getTime() ? reset : new Date(now.getTime() + backoffMinutes * 60_000);
}
