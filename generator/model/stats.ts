// Small pure reductions over NHWC activations, shared by the CLI, the dataset pass and tests.
import type { NdArray } from './engine.ts';

export interface ChannelStats {
  mean: number[];
  max: number[];
}

/** Per-channel mean and max over every position of image `n` of an [N, h, w, c] activation. */
export function channelStats(act: NdArray, n = 0): ChannelStats {
  const [, h, w, c] = act.shape;
  const size = h * w;
  const sum = new Float64Array(c);
  const max = new Float64Array(c).fill(-Infinity);
  const base = n * size * c;
  for (let p = 0; p < size; p++) {
    const o = base + p * c;
    for (let k = 0; k < c; k++) {
      const v = act.data[o + k];
      sum[k] += v;
      if (v > max[k]) max[k] = v;
    }
  }
  return { mean: Array.from(sum, (s) => s / size), max: Array.from(max) };
}

/** Indices of the k largest values, largest first. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: values.length }, (_, i) => i)
    .sort((a, b) => values[b] - values[a] || a - b)
    .slice(0, k);
}
