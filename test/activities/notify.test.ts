import { MockActivityEnvironment } from '@temporalio/testing';
import { createNotify } from '../../src/activities/notify';
import { webhookReceiver } from '../helpers/webhook';

describe('notify (webhook)', () => {
  const notify = createNotify();

  test('when the receiver answers, then the event arrives as JSON once', async () => {
    const hook = await webhookReceiver();
    try {
      const r = await new MockActivityEnvironment().run(notify, {
        url: hook.url,
        event: { event: 'condition_raised', condition: 'stuck' },
      });
      expect(r).toEqual({ delivered: true, status: 204, error: null });
      expect(hook.events).toEqual([{ event: 'condition_raised', condition: 'stuck' }]);
    } finally {
      await hook.close();
    }
  });

  test('when nobody listens, then it retries a few times and reports the failure instead of throwing', async () => {
    const started = Date.now();
    const r = await new MockActivityEnvironment().run(notify, {
      url: 'http://127.0.0.1:1/hook',
      event: { event: 'x' },
    });
    expect(r.delivered).toBe(false);
    expect(r.error).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
