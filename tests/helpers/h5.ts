// Writes small Keras-layout HDF5 weight files for tests (the same attributes and groups as Keras' own).
import h5wasm from 'h5wasm/node';

export interface H5Layer {
  name: string;
  /** [kernel, bias] with their dataset names, or nothing for layers without weights. */
  weights?: Array<{ name: string; data: Float32Array; shape: number[] }>;
}

export async function writeKerasH5(path: string, layers: H5Layer[], opts: { rootGroup?: string; omitLayerNames?: boolean } = {}): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  const root = opts.rootGroup ? f.create_group(opts.rootGroup) : f;
  if (!opts.omitLayerNames) root.create_attribute('layer_names', layers.map((l) => l.name));
  for (const l of layers) {
    const g = root.create_group(l.name);
    const ws = l.weights ?? [];
    if (ws.length) g.create_attribute('weight_names', ws.map((w) => w.name));
    for (const w of ws) {
      // Keras 2 names weights 'layer/kernel:0': a dataset inside a subgroup of the layer's group.
      const parts = w.name.split('/');
      let parent = g;
      for (const sub of parts.slice(0, -1)) parent = (parent.get(sub) as typeof g | null) ?? parent.create_group(sub);
      parent.create_dataset({ name: parts[parts.length - 1], data: w.data, shape: w.shape, dtype: '<f' });
    }
  }
  f.flush();
  f.close();
}

/** Deterministic pseudo-random values in [-scale, scale]. */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 0xffffffff) * 2 - 1) * scale;
  }
  return out;
}
