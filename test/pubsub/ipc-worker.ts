/**
 * A cluster worker for ipc-bus.test.ts: an IPC bus with nothing above it.
 * Told `{ publish: [topic, text | base64 bytes] }` it publishes; whatever
 * the bus delivers it reports to the primary as `{ got: [topic, kind, text | base64] }`.
 */
import { ipcBus } from '../../src/pubsub/ipc-bus.js';

const bus = ipcBus({ log: (line) => process.send!({ log: line }) });
bus.start((topic, data) => {
  const got = typeof data === 'string' ? [topic, 'text', data] : [topic, 'binary', Buffer.from(data).toString('base64')];
  process.send!({ got });
});
process.on('message', (m: { publish?: [string, string, boolean] }) => {
  if (m.publish === undefined) return;
  const [topic, data, binary] = m.publish;
  void bus.publish(topic, binary ? Buffer.from(data, 'base64') : data);
});
process.send!({ ready: true });
