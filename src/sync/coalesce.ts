/**
 * A task run on request, one run at a time, where requests made while it runs
 * are merged into one more run after it (a SIGHUP reload: ten signals during
 * a reload need one more reload of the latest files, not ten queued ones).
 * At most one run waits, however often it is asked for.
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again: Promise<void> | null = null;

  const start = (): Promise<void> => {
    running = task()
      .catch(() => {}) // the task reports its own failures
      .finally(() => {
        running = null;
      });
    return running;
  };

  return () => {
    if (running === null) return start();
    again ??= running.then(() => {
      again = null;
      return start();
    });
    return again;
  };
}
