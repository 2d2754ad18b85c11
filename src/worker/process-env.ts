/**
 * glibc's malloc raises its mmap threshold each time a large block is freed
 * (from 128 KiB up to 32 MiB). After that, the worker's large short-lived
 * buffers (workflow activations, child-process output) come from the heap,
 * fragment it, and RSS stays near its highest point for good: in the bench's
 * long run, native memory grew by about 100 MB in the first thousand tasks.
 * Setting the threshold, even to its own default, turns the adjustment off, so
 * large blocks are always mapped and go back to the system when freed (about
 * 30 MB of growth in the same run). glibc reads it only at process start, so it
 * is set in the environment the worker is started with. A value the user set is kept.
 */
export const MALLOC_MMAP_THRESHOLD = '131072';

export function workerProcessEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined || /glibc\.malloc\.mmap_threshold/.test(env.GLIBC_TUNABLES ?? ''))
    return env;
  return { ...env, MALLOC_MMAP_THRESHOLD_: MALLOC_MMAP_THRESHOLD };
}
