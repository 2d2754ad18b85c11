import { DEFAULT_RATE_LIMIT_PATTERN, detectRateLimit, parseResetTime } from '../../src/agents/rate-limit';

const NOW = new Date('2026-11-22T10:15:00Z');

describe('usage limits', () => {
  test('when an agent prints a usage-limit message, then the default pattern recognises it', () => {
    for (const text of [
      'Claude AI usage limit reached|1763810000',
      '5-hour limit reached ∙ resets 3pm',
      "You've hit your usage limit. Upgrade to Pro or try again in 2 hours 30 minutes.",
      'Error: Rate limit exceeded, please retry later',
      'Usage limit reached for this month. Resets at 2026-12-01T00:00:00Z',
    ])
      expect(detectRateLimit(text, DEFAULT_RATE_LIMIT_PATTERN, NOW, 30)).not.toBeNull();
    expect(detectRateLimit('All tests passed; no limits hit.', DEFAULT_RATE_LIMIT_PATTERN, NOW, 30)).toBeNull();
    expect(
      detectRateLimit(
        'implemented the rate limiting middleware (429 when exceeded)',
        DEFAULT_RATE_LIMIT_PATTERN,
        NOW,
        30,
      ),
    ).toBeNull();
  });

  test('when the message names a reset time, then that time is used', () => {
    expect(parseResetTime('usage limit reached|1763810000', NOW)?.toISOString()).toBe(
      new Date(1763810000 * 1000).toISOString(),
    );
    expect(parseResetTime('limit reached, resets 3pm', NOW)?.toISOString()).toBe('2026-11-22T15:00:00.000Z');
    expect(parseResetTime('limit reached, resets at 9:30 am', NOW)?.toISOString()).toBe('2026-11-23T09:30:00.000Z'); // already past today
    expect(parseResetTime('try again in 2 hours 30 minutes', NOW)?.toISOString()).toBe('2026-11-22T12:45:00.000Z');
    expect(parseResetTime('try again in 45s', NOW)?.toISOString()).toBe('2026-11-22T10:15:45.000Z');
    expect(parseResetTime('Resets at 2026-12-01T00:00:00Z', NOW)?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseResetTime('no time here', NOW)).toBeNull();
  });

  test('when it names none (or one in the past), then the backoff applies', () => {
    expect(detectRateLimit('Rate limit exceeded', DEFAULT_RATE_LIMIT_PATTERN, NOW, 30)?.toISOString()).toBe(
      '2026-11-22T10:45:00.000Z',
    );
    expect(detectRateLimit('usage limit reached|1000000000', DEFAULT_RATE_LIMIT_PATTERN, NOW, 10)?.toISOString()).toBe(
      '2026-11-22T10:25:00.000Z',
    );
  });

  test('when PIPELINE_RATE_LIMIT_PATTERN is custom or invalid, then it is used or the default takes over', () => {
    expect(detectRateLimit('SLOW DOWN please', 'slow down', NOW, 5)).not.toBeNull();
    expect(detectRateLimit('usage limit reached', '([unclosed', NOW, 5)).not.toBeNull();
  });
});
