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

/** One channel's spatial map (image n): its values row by row, where it peaks, and how widely it fires. */
export interface UnitMap {
  height: number;
  width: number;
  /** Row-major, height x width. */
  values: Float32Array;
  max: number;
  min: number;
  /** Grid position of the maximum (the first in row-major order on ties). */
  row: number;
  col: number;
  mean: number;
  /** Share of positions above zero. */
  active: number;
}

export function unitMap(act: NdArray, channel: number, n = 0): UnitMap {
  const [, height, width, c] = act.shape;
  const values = new Float32Array(height * width);
  let [max, min, at, sum, active] = [-Infinity, Infinity, 0, 0, 0];
  for (let p = 0; p < values.length; p++) {
    const v = act.data[(n * height * width + p) * c + channel];
    values[p] = v;
    sum += v;
    if (v > 0) active++;
    if (v > max) [max, at] = [v, p];
    if (v < min) min = v;
  }
  return { height, width, values, max, min, row: Math.floor(at / width), col: at % width, mean: sum / values.length, active: active / values.length };
}
