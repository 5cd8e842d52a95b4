// Spatial pruning, the twin of channel pruning: an objective that reads a few positions of a layer (the
// neuron objective reads one) gets a zero gradient on every input pixel outside their receptive fields,
// and those pixels cannot change its value. So the gradient graph can run on a window of the input around
// those fields, exactly: the window starts on the layer's stride (every pooling grid lines up with the
// whole image's) and covers every pixel the positions depend on, so every value they read is computed from
// the same pixels as on the whole image; the windows' own borders (zero-padded) reach only values they do
// not read. For a block3 neuron at 128 px that is a 48-56 px window of a 126-152 px input: 7-9x fewer FLOPs.
import type { ModelSpec } from './spec.ts';

export interface InputWindow {
  /** The window in input pixels: rows top..top+height-1, columns left..left+width-1. */
  top: number;
  left: number;
  height: number;
  width: number;
  /** The window's first position in the layer's map (its rows and columns there start here). */
  row: number;
  col: number;
}

/** The input pixels [lo, hi] that positions [a, b] of `layer` read, and the layer's stride; null if a layer before it is not a stride-1 'same' conv or a non-overlapping pool. */
function dependency(spec: ModelSpec, layer: string, a: number, b: number): { lo: number; hi: number; stride: number } | null {
  if (spec.graph) return null; // an imported graph's ops (strided convs, ceil-mode pools) are not modelled here
  const upto = spec.layers.findIndex((l) => l.name === layer);
  if (upto < 0) return null;
  let lo = a;
  let hi = b;
  let stride = 1;
  for (let i = upto; i >= 0; i--) {
    const l = spec.layers[i];
    if (l.kind === 'conv') {
      const r = (l.kernel - 1) / 2;
      lo -= r;
      hi += r;
    } else if (l.kind === 'pool' && l.size === l.stride) {
      lo *= l.stride;
      hi = hi * l.stride + l.size - 1;
      stride *= l.stride;
    } else return null;
  }
  return { lo, hi, stride };
}

/** One axis: the window [start, end) of an input side `side` for positions [a, b], and its first position. */
function axis(spec: ModelSpec, layer: string, side: number, a: number, b: number): { start: number; end: number; first: number } | null {
  const d = dependency(spec, layer, a, b);
  if (!d) return null;
  const start = Math.floor(Math.max(0, d.lo) / d.stride) * d.stride;
  // On the stride's grid unless it reaches the image's edge, where the whole image ends the same way.
  const end = Math.min(side, Math.ceil((d.hi + 1) / d.stride) * d.stride);
  return { start, end, first: start / d.stride };
}

/**
 * The input window for positions rows [r0, r1] x columns [c0, c1] of `layer` on an input of `inputHW`,
 * or null when the spec does not allow it or the window would not be smaller than the input.
 */
export function inputWindow(spec: ModelSpec, layer: string, inputHW: readonly [number, number], rows: readonly [number, number], cols: readonly [number, number]): InputWindow | null {
  const y = axis(spec, layer, inputHW[0], rows[0], rows[1]);
  const x = axis(spec, layer, inputHW[1], cols[0], cols[1]);
  if (!y || !x) return null;
  const w = { top: y.start, left: x.start, height: y.end - y.start, width: x.end - x.start, row: y.first, col: x.first };
  return w.height * w.width < inputHW[0] * inputHW[1] ? w : null;
}

/** The rows and columns of a [n, h, w, c] gradient that hold a nonzero value, or null if none does. */
export function support(grad: Float32Array, shape: readonly number[]): { rows: [number, number]; cols: [number, number] } | null {
  const [n, h, w, c] = shape;
  let r0 = Infinity;
  let r1 = -Infinity;
  let c0 = Infinity;
  let c1 = -Infinity;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const base = ((i * h + y) * w + x) * c;
        for (let k = 0; k < c; k++) {
          if (grad[base + k] !== 0) {
            r0 = Math.min(r0, y);
            r1 = Math.max(r1, y);
            c0 = Math.min(c0, x);
            c1 = Math.max(c1, x);
            break;
          }
        }
      }
    }
  }
  return r1 < 0 ? null : { rows: [r0, r1], cols: [c0, c1] };
}

/** Copies an h x w block of rows and columns between two NHWC arrays of n images with c channels. */
function copyBlock(from: Float32Array, fromHW: readonly [number, number], at: readonly [number, number], to: Float32Array, toHW: readonly [number, number], into: readonly [number, number], n: number, h: number, w: number, c: number): void {
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      const src = ((i * fromHW[0] + at[0] + y) * fromHW[1] + at[1]) * c;
      to.set(from.subarray(src, src + w * c), ((i * toHW[0] + into[0] + y) * toHW[1] + into[1]) * c);
    }
  }
}

/** Rows top..top+h-1, columns left..left+w-1 of an [n, H, W, c] array (NHWC). */
export function cropNhwc(data: Float32Array, shape: readonly number[], top: number, left: number, h: number, w: number): Float32Array {
  const [n, H, W, c] = shape;
  const out = new Float32Array(n * h * w * c);
  copyBlock(data, [H, W], [top, left], out, [h, w], [0, 0], n, h, w, c);
  return out;
}

/** The inverse: an [n, H, W, c] array of zeros with `data` [n, h, w, c] at (top, left). */
export function pasteNhwc(data: Float32Array, shape: readonly number[], top: number, left: number, h: number, w: number): Float32Array {
  const [n, H, W, c] = shape;
  const out = new Float32Array(n * H * W * c);
  copyBlock(data, [h, w], [0, 0], out, [H, W], [top, left], n, h, w, c);
  return out;
}
