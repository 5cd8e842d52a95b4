// Task module run by the pool's workers (generator/parallel): one engine per worker; each request is a
// shard of images, answered with one partial accumulator per layer. A file that cannot be decoded is
// reported back, never thrown, so one bad image does not abort the pass.
import type { Engine } from '../model/engine.ts';
import { loadImage } from '../model/image.ts';
import { type LoadOptions, loadModel } from '../model/load.ts';
import { requireLayers } from '../model/weights-check.ts';
import { addImage, emptyPartial, type LayerPartial } from './accumulate.ts';
import type { PassLayer } from './pass.ts';

export interface WorkerInit {
  model: LoadOptions;
  layers: PassLayer[];
  k: number;
  inputSize: number;
}

export interface ShardRequest {
  shard: number;
  images: Array<{ index: number; file: string; rel: string; cls: number }>;
}

export interface ShardResult {
  shard: number;
  partials: LayerPartial[];
  skipped: Array<{ index: number; file: string; reason: string }>;
}

/** Sent after each image, so the progress bar moves per image rather than per shard. */
export interface ShardProgress {
  done: 1;
}

let engine: Engine | null = null;

export async function setup(raw: unknown): Promise<(req: ShardRequest, progress: (p: ShardProgress) => void) => Promise<ShardResult>> {
  const init = raw as WorkerInit;
  const loaded = await loadModel(init.model);
  engine = loaded.engine;
  const available = engine.layers();
  requireLayers(engine.spec, available, init.layers.map((l) => l.name));
  const names = init.layers.map((l) => l.name);
  const size = init.inputSize;
  return async (req, progress) => {
    const partials = init.layers.map((l) => emptyPartial(l.name, l.units, l.grid, init.k, l.signed));
    const skipped: ShardResult['skipped'] = [];
    for (const im of req.images) {
      let data: Float32Array;
      try {
        data = (await loadImage(im.file, size)).data;
      } catch (e) {
        skipped.push({ index: im.index, file: im.rel, reason: reasonOf(e) });
        progress({ done: 1 });
        continue;
      }
      // One image per forward: batching is no faster on wasm and costs memory (measured: 811 vs 888 ms/image).
      // Pre-ReLU: a conv's post-ReLU max is max(0, its pre-ReLU max), and the negatives need the sign; a
      // pool's output is the same either way.
      const acts = await engine!.activations({ data, shape: [1, size, size, 3] }, names, { preRelu: true });
      init.layers.forEach((l, i) => addImage(partials[i], im.index, im.cls, acts.get(l.name)!.data));
      progress({ done: 1 });
    }
    return { shard: req.shard, partials, skipped };
  };
}

/** The first line of the decoder's message: enough to tell a truncated file from a non-image. */
function reasonOf(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

export async function teardown(): Promise<void> {
  engine?.dispose();
}
