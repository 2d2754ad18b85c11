import { TtlCache } from '../../src/util/ttl-cache';

/** A computation the test finishes by hand. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const settled = async <T>(p: Promise<T>): Promise<{ value?: T; pending: boolean }> => {
  let out: { value?: T; pending: boolean } = { pending: true };
  void p.then(
    (value) => (out = { value, pending: false }),
    () => (out = { pending: false }),
  );
  await new Promise((r) => setImmediate(r));
  return out;
};

describe('TtlCache with stale-while-revalidate', () => {
  let clock = 0;
  const cache = () => new TtlCache<number>({ ttlMs: 1000, staleMs: 3000, now: () => clock });
  beforeEach(() => (clock = 0));

  test('when nothing is cached, then callers wait for one shared computation', async () => {
    const c = cache();
    const d = deferred<number>();
    const compute = jest.fn(() => d.promise);
    const a = c.get(compute);
    const b = c.get(compute);
    expect(compute).toHaveBeenCalledTimes(1);
    expect((await settled(a)).pending).toBe(true);
    d.resolve(1);
    expect(await a).toBe(1);
    expect(await b).toBe(1);
  });

  test('when the value is fresh, then it is served without computing', async () => {
    const c = cache();
    await c.get(async () => 1);
    clock = 999;
    const compute = jest.fn(async () => 2);
    expect(await c.get(compute)).toBe(1);
    expect(compute).not.toHaveBeenCalled();
  });

  test('when the value is stale but young enough, then it is served at once while one refresh runs', async () => {
    const c = cache();
    await c.get(async () => 1);
    clock = 1500;
    const d = deferred<number>();
    const compute = jest.fn(() => d.promise);
    expect(await settled(c.get(compute))).toEqual({ value: 1, pending: false });
    expect(await settled(c.get(compute))).toEqual({ value: 1, pending: false });
    expect(compute).toHaveBeenCalledTimes(1);
    expect(c.ageMs()).toBe(1500);
    d.resolve(2);
    await d.promise;
    await new Promise((r) => setImmediate(r));
    expect(await c.get(compute)).toBe(2); // the refreshed value, stamped when its computation began
    expect(c.ageMs()).toBe(0);
  });

  test('when the value is older than the stale limit, then callers wait for the refresh', async () => {
    const c = cache();
    await c.get(async () => 1);
    clock = 3000;
    const d = deferred<number>();
    const p = c.get(() => d.promise);
    expect((await settled(p)).pending).toBe(true);
    expect(c.ageMs()).toBeNull();
    d.resolve(2);
    expect(await p).toBe(2);
  });

  test('when a background refresh fails, then the stale value is dropped and the next caller sees the failure', async () => {
    const c = cache();
    await c.get(async () => 1);
    clock = 1500;
    const d = deferred<number>();
    expect(await c.get(() => d.promise)).toBe(1);
    d.reject(new Error('temporal down'));
    await new Promise((r) => setImmediate(r));
    await expect(c.get(async () => Promise.reject(new Error('still down')))).rejects.toThrow('still down');
  });

  test('when cleared during a refresh, then the refresh result is not cached', async () => {
    const c = cache();
    const d = deferred<number>();
    const first = c.get(() => d.promise);
    c.clear();
    d.resolve(1);
    expect(await first).toBe(1);
    expect(await c.get(async () => 2)).toBe(2);
  });

  test('when given a bare number, then it is a plain TTL cache (no stale serving)', async () => {
    const c = new TtlCache<number>(1000);
    await c.get(async () => 1);
    await new Promise((r) => setTimeout(r, 1010));
    const d = deferred<number>();
    const p = c.get(() => d.promise);
    expect((await settled(p)).pending).toBe(true);
    d.resolve(2);
    expect(await p).toBe(2);
  });

  test('when asked what is ready, then a fresh or servable stale value comes with its age, and only a stale one starts the refresh', async () => {
    const c = cache();
    const compute = jest.fn(async () => 2);
    expect(c.ready(compute)).toBeNull();
    expect(compute).not.toHaveBeenCalled();
    await c.get(async () => 1);
    clock = 999;
    expect(c.ready(compute)).toEqual({ value: 1, ageMs: 999 });
    expect(compute).not.toHaveBeenCalled();
    clock = 1500;
    expect(c.ready(compute)).toEqual({ value: 1, ageMs: 1500 });
    expect(c.ready(compute)).toEqual({ value: 1, ageMs: 1500 });
    expect(compute).toHaveBeenCalledTimes(1);
    await new Promise((r) => setImmediate(r));
    expect(c.ready(compute)).toEqual({ value: 2, ageMs: 0 });
    clock = 1500 + 3000;
    expect(c.ready(compute)).toBeNull();
  });
});

describe("the API's status cache settings", () => {
  test('when a refresh takes as long as the status deadlines allow, then no caller waits for it', async () => {
    // Imported here so the generic cache tests above do not load the API.
    const { STATUS_FRESH_MS, STATUS_STALE_MS } = await import('../../src/api/app');
    const { STATUS_COMPUTE_LIMIT_MS } = await import('../../src/read-model/pipeline-status');
    let clock = 0;
    const c = new TtlCache<number>({ ttlMs: STATUS_FRESH_MS, staleMs: STATUS_STALE_MS, now: () => clock });
    expect(await c.get(async () => 1)).toBe(1);
    // Its fresh second passes: the next caller starts a refresh that will take as long as the deadlines allow.
    clock = STATUS_FRESH_MS;
    const slow = deferred<number>();
    const compute = jest.fn(() => slow.promise);
    expect(await settled(c.get(compute))).toEqual({ value: 1, pending: false });
    // Callers up to the refresh's deadline are still answered at once.
    clock = STATUS_FRESH_MS + STATUS_COMPUTE_LIMIT_MS - 1;
    expect(await settled(c.get(compute))).toEqual({ value: 1, pending: false });
    expect(compute).toHaveBeenCalledTimes(1);
    slow.resolve(2);
  });
});
