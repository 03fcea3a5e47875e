/**
 * Composition: a wrapper is a function from handler to handler, so
 * middleware is plain function application. `compose(a, b, c)(handler)` is
 * `a(b(c(handler)))`: the first wrapper sees the request first and the
 * response last.
 *
 * @example
 * const app = compose(requestId(), cors({ origin: 'https://app.example' }), timeout(5000))(router);
 */
import type { Handler } from '../http/types.js';

/** Takes the next handler, returns a handler that runs around it. */
export type Wrapper = (next: Handler) => Handler;

/**
 * One wrapper made of several, outermost first.
 *
 * @example
 * const secured = compose(basicAuth({ users }), serverTiming());
 * createServer(secured(app));
 */
export function compose(...wrappers: Wrapper[]): Wrapper {
  return (handler) => wrappers.reduceRight<Handler>((next, wrap) => wrap(next), handler);
}
