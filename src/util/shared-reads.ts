/**
 * Reads of one growing file, one at a time, so two never take the same appended bytes. Callers that arrive while a
 * read is waiting its turn share it: it starts after they arrived, so it sees every line written before they asked,
 * and 50 concurrent callers cost one read, not 50.
 */
export class SharedReads {
  private queue: Promise<unknown> = Promise.resolve();
  /** The read queued behind the one running, shared by every caller that arrives before it starts. */
  private waiting: Promise<void> | null = null;

  constructor(private readonly read: () => Promise<void>) {}

  /** Resolves once a read that started after this call has finished. */
  next(): Promise<void> {
    if (this.waiting) return this.waiting;
    const queued: Promise<void> = this.queue.then(() => {
      // Started: whoever asks from now on needs a later read.
      if (this.waiting === queued) this.waiting = null;
      return this.read();
    });
    this.waiting = queued;
    this.queue = queued.catch(() => undefined);
    return queued;
  }
}
