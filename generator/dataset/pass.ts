// One pass over a dataset for every unit of every requested layer at once, on all cores: the images are
// cut into shards of a fixed size, workers (one engine each) take shards as they become free, and the
// partial accumulators are merged in shard order. Fixed shards + ordered merging make the result
// independent of the worker count, down to the last bit of the class means (see accumulate.ts).
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { progressBar } from '../progress-bar.ts';
// sharp must be loaded by the main thread before workers load it (sharp's docs, glibc Linux): its shared
// libraries then stay loaded until every thread is done.
import 'sharp';
import type { LoadOptions } from '../model/load.ts';
import { WorkerPool, defaultWorkerCount } from '../parallel/pool.ts';
import { emptyPartial, type LayerPartial, mergePartial } from './accumulate.ts';
import type { Dataset } from './source.ts';
import type { ShardRequest, ShardResult, WorkerInit } from './worker.ts';

const WORKER_MODULE = fileURLToPath(new URL('./worker.ts', import.meta.url));

/**
 * Images per shard. Small enough that two workers share even a small dataset and the progress stays
 * smooth; large enough that a shard's partial (units x BINS histogram counts dominate) is cheap to send.
 * Changing it changes the rounding of class means, so it is part of the stage's code version.
 */
export const SHARD_SIZE = 4;

export interface PassLayer {
  name: string;
  units: number;
  grid: [number, number];
  /** A conv with a ReLU: its pre-ReLU activation is what the pass reads (negative examples need it). */
  signed: boolean;
}

export interface PassOptions {
  model: LoadOptions;
  inputSize: number;
  layers: PassLayer[];
  k: number;
  workers?: number;
  quiet?: boolean;
  /** Called after each image (decoded or skipped) with the count so far, from the first one on. */
  onImage?: (done: number) => void;
  /** Called for each skipped file as soon as its shard is merged (in dataset order). */
  onSkip?: (s: { file: string; reason: string }) => void;
}

export interface PassResult {
  partials: Map<string, LayerPartial>;
  skipped: Array<{ file: string; reason: string }>;
}

/** Counts images sent through the network in this process, so tests can tell a cache hit from a pass. */
export const passCounters = { passes: 0, images: 0 };

export async function runPass(ds: Dataset, opts: PassOptions): Promise<PassResult> {
  passCounters.passes++;
  const shards: ShardRequest[] = [];
  for (let s = 0; s * SHARD_SIZE < ds.images.length; s++) {
    const images = ds.images.slice(s * SHARD_SIZE, (s + 1) * SHARD_SIZE).map((im, j) => ({ index: s * SHARD_SIZE + j, file: im.file, rel: im.rel, cls: im.cls }));
    shards.push({ shard: s, images });
  }
  const size = Math.max(1, Math.min(opts.workers ?? defaultWorkerCount(), shards.length));
  // onnxruntime would give each worker's session every core; one thread per worker's share of the cores
  // is faster here (images are independent, and decoding overlaps): measured 4.2 vs 3.0 images/s on 2
  // cores. tfjs ignores the option. An explicit `threads` wins.
  const threads = Math.max(1, Math.floor(availableParallelism() / size));
  const init: WorkerInit = { model: { threads, ...opts.model }, layers: opts.layers, k: opts.k, inputSize: opts.inputSize };
  const pool = new WorkerPool<ShardRequest, ShardResult>(WORKER_MODULE, init, size);
  const total = opts.layers.map((l) => emptyPartial(l.name, l.units, l.grid, opts.k, l.signed));
  const skipped: PassResult['skipped'] = [];
  const bar = opts.quiet ? null : progressBar('dataset pass', { unit: 'images', note: `${size} worker${size > 1 ? 's' : ''}` });
  try {
    await pool.started();
    bar?.update(0, ds.images.length);
    // Results can arrive out of order; they wait here until every earlier shard is merged. At most about
    // one shard per worker waits, so memory stays bounded.
    const waiting = new Map<number, ShardResult>();
    let nextToMerge = 0;
    let done = 0;
    const merge = (r: ShardResult) => {
      waiting.set(r.shard, r);
      for (let w = waiting.get(nextToMerge); w; w = waiting.get(nextToMerge)) {
        waiting.delete(nextToMerge++);
        w.partials.forEach((p, i) => mergePartial(total[i], p));
        for (const s of w.skipped) {
          skipped.push({ file: s.file, reason: s.reason });
          opts.onSkip?.(s);
        }
      }
    };
    await Promise.all(
      shards.map((s) =>
        pool
          .run(s, () => {
            passCounters.images++;
            // Counted apart from the bar: `bar?.update(++done)` skips the increment when quiet (no bar).
            done++;
            bar?.update(done, ds.images.length);
            opts.onImage?.(done);
          })
          .then(merge),
      ),
    );
  } finally {
    bar?.stop();
    await pool.close();
  }
  return { partials: new Map(total.map((p) => [p.layer, p])), skipped };
}
