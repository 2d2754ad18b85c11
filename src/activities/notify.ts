import { log } from '@temporalio/activity';
import type { NotifyInput, NotifyResult } from '../shared/contracts/monitor';

const DELIVERY_TIMEOUT_MS = 5000;
const ATTEMPTS = 3;

/**
 * POSTs an event to PIPELINE_NOTIFY_WEBHOOK_URL. A few quick attempts, then the
 * failure is logged and returned: a dead webhook never blocks or fails the pipeline.
 */
export function createNotify() {
  return async function notify(input: NotifyInput): Promise<NotifyResult> {
    let last: NotifyResult = { delivered: false, status: null, error: 'not attempted' };
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await fetch(input.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'nightshift' },
          body: JSON.stringify(input.event),
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        if (res.ok) return { delivered: true, status: res.status, error: null };
        last = { delivered: false, status: res.status, error: `HTTP ${res.status}` };
      } catch (err) {
        last = { delivered: false, status: null, error: (err as Error).message };
      }
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, 500 * attempt));
    }
    log.warn('webhook delivery failed', { event: input.event.event, error: last.error });
    return last;
  };
}
