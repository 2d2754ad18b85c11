/** Runs `stop` once on SIGINT/SIGTERM; a second signal exits at once. */
export function onShutdownSignal(stop: () => Promise<void> | void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    Promise.resolve()
      .then(stop)
      .catch((err) => process.stderr.write(`shutdown after ${signal} failed: ${(err as Error).message}\n`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
