/**
 * The hub's counters as a JSON endpoint, for dashboards and health checks:
 * mount it where the application wants it (the demo: /status/pubsub).
 * Each process answers for itself (with --workers, the worker that took the
 * request).
 */
import { json } from '../http/body.js';
import type { Handler } from '../http/types.js';
import type { Hub } from './hub.js';

/**
 * A handler answering `{ pid, published, received, delivered, dropped,
 * slowClosed, busQueueFull, topics, subscriptions, bus: {...} }`.
 *
 * @example
 * app.get('/status/pubsub', pubsubStatus(hub));
 */
export function pubsubStatus(hub: Hub): Handler {
  return () => json({ pid: process.pid, ...hub.stats() }, 200, { 'cache-control': 'no-store' });
}
