// A small pool of worker threads, one per core by default: each worker runs a task module's handler
// with its own engine. Requests queue until a worker is free; results come back as promises.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { AtlasError } from '../errors.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

const ENTRY = fileURLToPath(new URL('./worker-entry.mjs', import.meta.url));

interface Pending {
  request: unknown;
  onProgress?: (p: unknown) => void;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** One worker per core, unless ATLAS_WORKERS says otherwise. */
export function defaultWorkerCount(): number {
  const env = Number(process.env.ATLAS_WORKERS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

export class WorkerPool<Req, Res> {
  private readonly idle: Worker[] = [];
  private readonly queue: Array<Pending & { id: number }> = [];
  private readonly inflight = new Map<number, Pending & { worker: Worker }>();
  private readonly workers: Worker[] = [];
  private readonly ready: Promise<void>;
  private nextId = 0;
  private failed: Error | null = null;

  /** `module`: absolute path of a .ts module implementing WorkerModule; `init` is passed to its setup(). */
  constructor(module: string, init: unknown, readonly size = defaultWorkerCount()) {
    const starts: Promise<void>[] = [];
    for (let i = 0; i < size; i++) {
      const w = new Worker(ENTRY, { workerData: { module, init } });
      this.workers.push(w);
      starts.push(
        new Promise((resolve, reject) => {
          w.on('message', (m: FromWorker) => {
            if (m.kind === 'ready') {
              this.idle.push(w);
              resolve();
              this.pump();
            } else this.onMessage(w, m, reject);
          });
          w.on('error', (e) => this.fail(e, reject));
          w.on('exit', (code) => {
            if (code !== 0) this.fail(new Error(`worker exited with code ${code}`), reject);
          });
        }),
      );
    }
    this.ready = Promise.all(starts).then(() => undefined);
  }

  private fail(e: Error, reject: (e: Error) => void): void {
    this.failed ??= e;
    reject(e);
    for (const p of this.inflight.values()) p.reject(e);
    for (const p of this.queue) p.reject(e);
    this.inflight.clear();
    this.queue.length = 0;
  }

  private onMessage(w: Worker, m: FromWorker, rejectStart: (e: Error) => void): void {
    if (m.kind === 'error' && m.id === -1) {
      const err = m.atlas ? new AtlasError(m.message, m.atlas.hint, m.atlas.exitCode) : new Error(`worker setup failed: ${m.message}\n${m.stack ?? ''}`);
      this.fail(err, rejectStart);
      return;
    }
    const p = this.inflight.get(m.id);
    if (!p) return;
    if (m.kind === 'progress') {
      p.onProgress?.(m.progress);
      return;
    }
    this.inflight.delete(m.id);
    this.idle.push(w);
    if (m.kind === 'result') p.resolve(m.result);
    else if (m.kind === 'error') p.reject(m.atlas ? new AtlasError(m.message, m.atlas.hint, m.atlas.exitCode) : Object.assign(new Error(m.message), { stack: m.stack }));
    this.pump();
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.shift()!;
      const job = this.queue.shift()!;
      this.inflight.set(job.id, { ...job, worker: w });
      w.postMessage({ kind: 'request', id: job.id, request: job.request } satisfies ToWorker);
    }
  }

  /** Resolves once every worker has run its setup (loaded its engine). */
  async started(): Promise<void> {
    await this.ready;
  }

  run(request: Req, onProgress?: (p: unknown) => void): Promise<Res> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise<Res>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, onProgress, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.postMessage({ kind: 'close' } satisfies ToWorker);
            setTimeout(() => void w.terminate(), 5000).unref();
          }),
      ),
    );
  }
}
