/** Caches one async value for `ttlMs`; concurrent callers share the same in-flight computation. */
export class TtlCache<T> {
  private value: { at: number; promise: Promise<T> } | null = null;

  constructor(private readonly ttlMs: number) {}

  get(compute: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (this.value && now - this.value.at < this.ttlMs) return this.value.promise;
    const promise = compute();
    this.value = { at: now, promise };
    promise.catch(() => {
      if (this.value?.promise === promise) this.value = null; // never cache a failure
    });
    return promise;
  }

  clear(): void {
    this.value = null;
  }
}
