/**
 * A small JSON API: a router with parameters, JSON in and out, errors as
 * statuses. Request bodies are read with a size limit (413 past it).
 *
 *   node dist/examples/json-api.js --port 3000
 *   curl -s localhost:3000/todos -d '{"title":"write docs"}'
 *   curl -s localhost:3000/todos/1
 */
import { parseArgs } from 'node:util';
import { HTTPError, createServer, json, readJSON, router, type BodyReader } from 'weft';

type Todo = { id: number; title: string; done: boolean };
const todos = new Map<number, Todo>();
let nextId = 1;

async function readObject(body: BodyReader): Promise<Record<string, unknown>> {
  const value = await readJSON(body, 64 * 1024);
  if (typeof value !== 'object' || value === null) throw new HTTPError(400, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function find(id: string): Todo {
  const todo = todos.get(Number(id));
  if (!todo) throw new HTTPError(404, `no todo ${id}`);
  return todo;
}

const app = router()
  .get('/todos', () => json([...todos.values()]))
  .post('/todos', async (_req, body) => {
    const { title } = await readObject(body);
    if (typeof title !== 'string' || title === '') throw new HTTPError(422, 'title must be a non-empty string');
    const todo = { id: nextId++, title, done: false };
    todos.set(todo.id, todo);
    return json(todo, 201);
  })
  .get('/todos/:id', (_req, _body, p) => json(find(p.id!)))
  .put('/todos/:id', async (_req, body, p) => {
    const todo = find(p.id!);
    const patch = await readObject(body);
    if (typeof patch.done === 'boolean') todo.done = patch.done;
    if (typeof patch.title === 'string') todo.title = patch.title;
    return json(todo);
  })
  .delete('/todos/:id', (_req, _body, p) => {
    find(p.id!);
    todos.delete(Number(p.id));
    return { code: 204 };
  });

const { values } = parseArgs({ options: { port: { type: 'string', default: '3000' }, host: { type: 'string', default: '127.0.0.1' } } });
const server = await createServer(app).listen({ port: Number(values.port), host: values.host });
console.log(`json-api listening on http://${server.host}:${server.port}/todos`);
process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
