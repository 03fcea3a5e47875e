/**
 * A small JSON API: a router with typed parameters, JSON in and out, errors
 * as JSON (`{"error": {"status", "message"}}`), and the kit's wrappers
 * around it: request IDs, CORS for a front end on another origin,
 * Server-Timing, and a deadline per request.
 *
 *   node dist/examples/json-api.js --port 3000
 *   curl -s localhost:3000/todos --json '{"title":"write docs"}'
 *   curl -s localhost:3000/todos/1
 *   curl -s -X PATCH localhost:3000/todos/1 --json '{"done":true}'
 */
import { parseArgs } from 'node:util';
import {
  HTTPError,
  compose,
  cors,
  createServer,
  json,
  jsonErrors,
  readJSON,
  requestId,
  router,
  searchParams,
  serverTiming,
  timeout,
  type BodyReader,
  type HTTPReq,
} from 'weft-server';

type Todo = { id: number; title: string; done: boolean };
const todos = new Map<number, Todo>();
let nextId = 1;

async function readObject(req: HTTPReq, body: BodyReader): Promise<Record<string, unknown>> {
  const value = await readJSON(req, body, { limit: 64 * 1024 }); // 415 unless JSON, 413 past 64 KiB, 400 if malformed
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HTTPError(400, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function find(id: string): Todo {
  const todo = todos.get(Number(id));
  if (!todo) throw new HTTPError(404, `no todo ${id}`);
  return todo;
}

const api = router({ formatError: jsonErrors })
  .get('/todos', (req) => {
    const done = searchParams(req).get('done'); // ?done=true|false
    const all = [...todos.values()];
    return json(done === null ? all : all.filter((t) => String(t.done) === done));
  })
  .post('/todos', async (req, body) => {
    const { title } = await readObject(req, body);
    if (typeof title !== 'string' || title === '') throw new HTTPError(422, 'title must be a non-empty string');
    const todo = { id: nextId++, title, done: false };
    todos.set(todo.id, todo);
    return json(todo, 201, { location: `/todos/${todo.id}` });
  })
  .get('/todos/:id', (_req, _body, p) => json(find(p.id))) // p.id: string, from the pattern
  .patch('/todos/:id', async (req, body, p) => {
    const todo = find(p.id);
    const patch = await readObject(req, body);
    if (typeof patch.done === 'boolean') todo.done = patch.done;
    if (typeof patch.title === 'string' && patch.title !== '') todo.title = patch.title;
    return json(todo);
  })
  .delete('/todos/:id', (_req, _body, p) => {
    todos.delete(find(p.id).id);
    return { code: 204 };
  });

const app = compose(
  requestId(),
  cors({ origin: ['http://localhost:5173'], exposeHeaders: ['X-Request-Id', 'Location'] }),
  serverTiming(),
  timeout(5_000),
)(api);

const { values } = parseArgs({ options: { port: { type: 'string', default: '3000' }, host: { type: 'string', default: '127.0.0.1' } } });
const server = await createServer(app, { formatError: jsonErrors }).listen({ port: Number(values.port), host: values.host });
console.log(`json-api listening on http://${server.host}:${server.port}/todos`);
process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
