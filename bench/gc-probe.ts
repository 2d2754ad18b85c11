import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A preload (`node --expose-gc --require <file>`) for a child service under
 * measurement. Node passes it on to the process's worker threads too (the
 * Temporal worker runs workflows in one), so on SIGUSR2 the main thread asks
 * every thread, over a BroadcastChannel, to run a full garbage collection,
 * collects its own heap, and half a second later appends `process.memoryUsage()`
 * and every thread's heap (the threads answer on the channel) as one JSON line
 * to the file named by NIGHTSHIFT_BENCH_MEMORY_FILE. RSS read then tells
 * memory that is held from garbage V8 has not collected yet.
 */
export const GC_PROBE_SOURCE = `'use strict';
if (typeof global.gc === 'function') {
  const { isMainThread, threadId, BroadcastChannel } = require('node:worker_threads');
  const channel = new BroadcastChannel('nightshift-bench-gc-probe');
  channel.unref();
  const heap = () => { const m = process.memoryUsage(); return { threadId, heapTotal: m.heapTotal, heapUsed: m.heapUsed }; };
  if (!isMainThread) {
    channel.onmessage = (e) => {
      if (e.data !== 'gc') return;
      global.gc();
      channel.postMessage(heap());
    };
  } else if (process.env.NIGHTSHIFT_BENCH_MEMORY_FILE) {
    const out = process.env.NIGHTSHIFT_BENCH_MEMORY_FILE;
    let threads = [];
    channel.onmessage = (e) => { if (e.data && e.data.threadId) threads.push(e.data); };
    process.on('SIGUSR2', () => {
      threads = [];
      channel.postMessage('gc');
      global.gc();
      setTimeout(() => {
        global.gc();
        require('node:fs').appendFileSync(out, JSON.stringify({ at: Date.now(), ...process.memoryUsage(), threads: [heap(), ...threads] }) + '\\n');
      }, 500);
    });
  }
}
`;

export function writeGcProbe(dir: string): string {
  const file = path.join(dir, 'gc-probe.js');
  writeFileSync(file, GC_PROBE_SOURCE);
  return file;
}

/** One line of the probe's output (bytes). */
export interface MemorySample {
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Each thread's V8 heap after its collection (main thread first; worker threads that answered in time). */
  threads: { threadId: number; heapTotal: number; heapUsed: number }[];
}
