// Messages between the pool and its workers, and the shape of a task module.

export type Progress = (info: unknown) => void;

/** A module run in workers exports setup(init) -> handler. */
export interface WorkerModule<Req, Res> {
  setup(init: unknown): Promise<(request: Req, progress: Progress) => Promise<Res>>;
  teardown?(): Promise<void>;
}

export type ToWorker = { kind: 'request'; id: number; request: unknown } | { kind: 'close' };

export type FromWorker =
  | { kind: 'ready'; id: -1 }
  | { kind: 'progress'; id: number; progress: unknown }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; message: string; stack?: string; atlas?: { hint?: string; exitCode: 1 | 2 } };
