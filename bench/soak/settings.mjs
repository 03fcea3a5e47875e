/**
 * The settings of bench/soak.mjs, shared by its measurements and its table:
 * the sizes (the full run's, and the smaller ones of --quick), and the shape
 * of each attack, which --quick keeps.
 */

/**
 * The sizes of the full run, and of --quick's smoke test. `echoUptimeMs`: the
 * echo's second reading waits this long after the server starts, by when V8's
 * memory reducer has shrunk the young generation that loading the modules
 * grew, as in a server that has been up a while (the first reading starts at
 * once).
 */
export const SOAK_SIZES = {
  full: { echoBytes: 2 ** 30, echoUptimeMs: 15_000, idle: 10_000, slowHeaders: 2_000, slowBodies: 2_000, floodLimit: 3_000, floodS: 30, resets: 100_000 },
  quick: { echoBytes: 64 * 2 ** 20, echoUptimeMs: 1_000, idle: 1_000, slowHeaders: 200, slowBodies: 200, floodLimit: 300, floodS: 5, resets: 5_000 },
};
/** Slow attackers send a header line or a body byte this often (ms), and reconnect this long after a cut (ms). */
export const SLOW_INTERVAL_MS = 2_000;
export const RECONNECT_DELAY_MS = 250;
/** The probe under a flood: one new connection this often (ms); a probe not answered within PROBE_TIMEOUT_MS fails. */
export const PROBE_EVERY_MS = 100;
export const PROBE_TIMEOUT_MS = 15_000;
/** Slots the queue-and-reset measurement holds (maxConnections), and the resets in flight at once. */
export const RESET_SLOTS = 50;
export const RESET_CONCURRENCY = 100;
/** Idle timeouts while connections are held on purpose: nothing may close during the measurement (ms). */
export const HOLD_IDLE_MS = 600_000;
/** Time for the server to settle (finish closing, free buffers) before its memory or connections are read (ms). */
export const SETTLE_MS = 2_000;
/** Shutdown load: connections, seconds of load, when SIGTERM is sent (s). */
export const SHUTDOWN = { connections: 50, durationS: 4, signalAtS: 2 };

export const KIB = 1024;
export const MB = 1e6;
