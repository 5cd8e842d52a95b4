// Transformation robustness (Lucid/Lucent's standard_transforms): each step the image is padded,
// jittered, scaled, rotated and jittered again, so that the optimum cannot hide in pixel-exact noise.
//
// The chain pad 12 (0.5) -> jitter 8 -> scale -> rotate -> jitter 4 is composed into one affine map from
// output to input pixels and sampled once, bilinearly; taps that fall outside the image read the pad
// colour 0.5. That equals the sequential chain except that the image is interpolated once instead of
// twice (less blur) and corners uncovered by the rotation are 0.5 rather than black. Forward and adjoint
// are plain loops over a precomputed tap table (4 taps per output pixel): exact, cheap, and independent
// of any backend.
import { choice } from './random.ts';

export interface TransformConfig {
  pad: number;
  padValue: number;
  jitter1: number;
  scales: number[];
  /** Degrees; repeated entries make an angle more likely. */
  angles: number[];
  jitter2: number;
}

/** Lucent's standard_transforms: scales 0.90..1.10 step 0.02; angles -10..10 plus five extra zeros. */
export const STANDARD_TRANSFORMS: TransformConfig = {
  pad: 12,
  padValue: 0.5,
  jitter1: 8,
  scales: Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50),
  angles: [...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0],
  jitter2: 4,
};

/**
 * Lucid's transforms are in pixels of its 128 px images; at another size, the same transforms relative to
 * the image (pad, jitters scaled by size / 128, at least 1 px; scales and angles unchanged).
 */
export function scaledTransforms(size: number, base: TransformConfig = STANDARD_TRANSFORMS): TransformConfig {
  const f = size / 128;
  const px = (v: number) => Math.max(1, Math.round(v * f));
  return { ...base, pad: px(base.pad), jitter1: px(base.jitter1), jitter2: px(base.jitter2) };
}

export interface TransformSample {
  offset1: [number, number];
  scale: number;
  angle: number;
  offset2: [number, number];
}

/** Draws one step's transform; the order of draws is fixed so a seed fixes the whole sequence. */
export function sampleTransform(rand: () => number, cfg: TransformConfig = STANDARD_TRANSFORMS): TransformSample {
  const int = (d: number) => Math.min(d - 1, Math.floor(rand() * d));
  const offset1: [number, number] = [int(cfg.jitter1), int(cfg.jitter1)];
  const scale = choice(rand, cfg.scales);
  const angle = choice(rand, cfg.angles);
  const offset2: [number, number] = [int(cfg.jitter2), int(cfg.jitter2)];
  return { offset1, scale, angle, offset2 };
}

export interface WarpPlan {
  inSize: number;
  outSize: number;
  /** Taps per output pixel: 4 (one bilinear sample), or 4 per sample of an averaging resize (crops.ts). */
  taps: number;
  /** `taps` per output pixel: flat input pixel index, or -1 for the pad colour. */
  index: Int32Array;
  weight: Float32Array;
  padValue: number;
}

/** Output side of the chain for a square input of side `size`. */
export function transformedSize(size: number, scale: number, cfg: TransformConfig = STANDARD_TRANSFORMS): number {
  const s2 = size + 2 * cfg.pad - cfg.jitter1;
  return Math.round(scale * s2) - cfg.jitter2;
}

/** Builds the tap table of one sampled transform (continuous coordinates, pixel centres at i + 0.5). */
export function planWarp(size: number, t: TransformSample, cfg: TransformConfig = STANDARD_TRANSFORMS): WarpPlan {
  const s2 = size + 2 * cfg.pad - cfg.jitter1; // after pad and the first jitter
  const s3 = Math.round(t.scale * s2); // after scaling
  const out = s3 - cfg.jitter2;
  const theta = (t.angle * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const c = s3 / 2;
  const ratio = s2 / s3;
  const index = new Int32Array(out * out * 4);
  const weight = new Float32Array(out * out * 4);
  for (let i = 0; i < out; i++) {
    for (let j = 0; j < out; j++) {
      // Output pixel -> rotated image (undo jitter 2) -> scaled image (inverse rotation about the centre)
      // -> jittered image (undo scale) -> padded image (undo jitter 1) -> input image (undo pad).
      const rx = j + 0.5 + t.offset2[0] - c;
      const ry = i + 0.5 + t.offset2[1] - c;
      const qx = cos * rx + sin * ry + c;
      const qy = -sin * rx + cos * ry + c;
      const ux = qx * ratio + t.offset1[0] - cfg.pad - 0.5;
      const uy = qy * ratio + t.offset1[1] - cfg.pad - 0.5;
      const x0 = Math.floor(ux);
      const y0 = Math.floor(uy);
      const fx = ux - x0;
      const fy = uy - y0;
      const o = (i * out + j) * 4;
      // The 4 bilinear taps, written in place (no per-pixel arrays: this runs every step).
      for (let k = 0; k < 4; k++) {
        const y = y0 + (k >> 1);
        const x = x0 + (k & 1);
        index[o + k] = y >= 0 && y < size && x >= 0 && x < size ? y * size + x : -1;
        weight[o + k] = (k >> 1 ? fy : 1 - fy) * (k & 1 ? fx : 1 - fx);
      }
    }
  }
  return { inSize: size, outSize: out, taps: 4, index, weight, padValue: cfg.padValue };
}

/** Applies a plan to n interleaved-RGB images [n, in, in, 3] -> [n, out, out, 3]. */
export function warpForward(plan: WarpPlan, input: Float32Array, n: number): Float32Array {
  const { taps } = plan;
  const inPix = plan.inSize * plan.inSize;
  const outPix = plan.outSize * plan.outSize;
  const out = new Float32Array(n * outPix * 3);
  for (let b = 0; b < n; b++) {
    const ib = b * inPix * 3;
    const ob = b * outPix * 3;
    for (let p = 0; p < outPix; p++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let k = 0; k < taps; k++) {
        const idx = plan.index[p * taps + k];
        const w = plan.weight[p * taps + k];
        if (idx < 0) {
          r += w * plan.padValue;
          g += w * plan.padValue;
          bl += w * plan.padValue;
        } else {
          const s = ib + idx * 3;
          r += w * input[s];
          g += w * input[s + 1];
          bl += w * input[s + 2];
        }
      }
      out[ob + p * 3] = r;
      out[ob + p * 3 + 1] = g;
      out[ob + p * 3 + 2] = bl;
    }
  }
  return out;
}

/** The adjoint of warpForward's linear part: scatters output gradients back to the input pixels. */
export function warpAdjoint(plan: WarpPlan, gradOut: Float32Array, n: number): Float32Array {
  const { taps } = plan;
  const inPix = plan.inSize * plan.inSize;
  const outPix = plan.outSize * plan.outSize;
  const gin = new Float32Array(n * inPix * 3);
  for (let b = 0; b < n; b++) {
    const ib = b * inPix * 3;
    const ob = b * outPix * 3;
    for (let p = 0; p < outPix; p++) {
      for (let k = 0; k < taps; k++) {
        const idx = plan.index[p * taps + k];
        if (idx < 0) continue;
        const w = plan.weight[p * taps + k];
        const s = ib + idx * 3;
        gin[s] += w * gradOut[ob + p * 3];
        gin[s + 1] += w * gradOut[ob + p * 3 + 1];
        gin[s + 2] += w * gradOut[ob + p * 3 + 2];
      }
    }
  }
  return gin;
}
