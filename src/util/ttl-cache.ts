export interface TtlCacheOptions {
  /** A value younger than this is served as is. */
  ttlMs: number;
  /**
   * A value younger than this (but past `ttlMs`) is served at once while one
   * refresh runs in the background, so callers never queue behind a slow source.
   * Older values, and a cache with nothing in it, wait for the refresh. Defaults to `ttlMs`.
   */
  staleMs?: number;
  /** The clock (tests pass their own). */
  now?: () => number;
}

/**
 * Caches one async value. Concurrent callers share one in-flight computation,
 * a failed computation drops the cached value (the next caller sees the error
 * source afresh), and `clear()` forgets both the value and any computation in flight.
 */
export class TtlCache<T> {
  private latest: { at: number; value: T } | null = null;
  private inFlight: Promise<T> | null = null;
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly now: () => number;

  constructor(options: number | TtlCacheOptions) {
    const o: TtlCacheOptions = typeof options === 'number' ? { ttlMs: options } : options;
    this.ttlMs = o.ttlMs;
    this.staleMs = Math.max(o.ttlMs, o.staleMs ?? o.ttlMs);
    this.now = o.now ?? Date.now;
  }

  get(compute: () => Promise<T>): Promise<T> {
    const ready = this.ready(compute);
    return ready ? Promise.resolve(ready.value) : (this.inFlight ?? this.refresh(compute));
  }

  /**
   * The value `get` would serve at once, with its age in ms, or null when a caller would have to wait. Like `get`,
   * a value past `ttlMs` starts the one refresh.
   */
  ready(compute: () => Promise<T>): { value: T; ageMs: number } | null {
    if (!this.latest) return null;
    const ageMs = this.now() - this.latest.at;
    if (ageMs >= this.staleMs) return null;
    const { value } = this.latest;
    if (ageMs >= this.ttlMs && !this.inFlight) void this.refresh(compute);
    return { value, ageMs };
  }

  /** Age in ms of the value `get` would serve now without waiting, or null when it would wait. */
  ageMs(): number | null {
    if (!this.latest) return null;
    const age = this.now() - this.latest.at;
    return age < this.staleMs ? age : null;
  }

  clear(): void {
    this.latest = null;
    this.inFlight = null;
  }

  private refresh(compute: () => Promise<T>): Promise<T> {
    // A value is as old as the moment its computation began.
    const startedAt = this.now();
    const promise = compute().then(
      (value) => {
        if (this.inFlight === promise) this.latest = { at: startedAt, value };
        return value;
      },
      (err: unknown) => {
        if (this.inFlight === promise) this.latest = null; // never serve a value past a failure
        throw err;
      },
    );
    this.inFlight = promise;
    void promise.then(
      () => this.settle(promise),
      () => this.settle(promise),
    );
    return promise;
  }

  private settle(promise: Promise<T>): void {
    if (this.inFlight === promise) this.inFlight = null;
  }
}
