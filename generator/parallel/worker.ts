// Worker side of the pool protocol: load the task module once, call its setup(init) once (an engine per
// worker: tfjs-wasm is single-threaded, so one worker per core is how we use the cores), then answer
// requests one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { AtlasError } from '../errors.ts';
import type { FromWorker, ToWorker, WorkerModule } from './protocol.ts';

const port = parentPort!;
const { module, init } = workerData as { module: string; init: unknown };
const send = (m: FromWorker) => port.postMessage(m);

function serialize(e: unknown): FromWorker & { kind: 'error' } {
  const err = e as Error;
  return {
    kind: 'error',
    id: -1,
    message: err?.message ?? String(e),
    stack: err?.stack,
    atlas: e instanceof AtlasError ? { hint: e.hint, exitCode: e.exitCode } : undefined,
  };
}

try {
  const mod = (await import(pathToFileURL(module).href)) as WorkerModule<unknown, unknown>;
  const handle = await mod.setup(init);
  send({ kind: 'ready', id: -1 });
  port.on('message', async (m: ToWorker) => {
    if (m.kind === 'close') {
      await mod.teardown?.();
      process.exit(0);
    }
    try {
      const result = await handle(m.request, (progress) => send({ kind: 'progress', id: m.id, progress }));
      send({ kind: 'result', id: m.id, result });
    } catch (e) {
      send({ ...serialize(e), id: m.id });
    }
  });
} catch (e) {
  send(serialize(e));
}
