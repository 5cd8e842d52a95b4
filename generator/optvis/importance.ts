// MACO's importance map ("transparency"): |d objective / d image| accumulated over the steps, at the
// image's full resolution (through the crops' adjoint), shown as alpha as Horama's plot_maco does: the
// mean over channels, clipped at a percentile (80), divided by its max. Where the objective's gradient
// was large for most of the optimization is where the image matters to the unit.
import sharp from 'sharp';

/** numpy.percentile's default (linear interpolation between the closest ranks), q in [0, 100]. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (!sorted.length) throw new Error('percentile of no values');
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** |gradients| summed over the steps, for n images [n, size, size, 3]. */
export class ImportanceAccumulator {
  readonly sum: Float32Array;

  constructor(
    private readonly n: number,
    private readonly size: number,
  ) {
    this.sum = new Float32Array(n * size * size * 3);
  }

  add(dRgb: Float32Array): void {
    for (let i = 0; i < dRgb.length; i++) this.sum[i] += Math.abs(dRgb[i]);
  }

  /** Image i's map [size * size] in [0, 1]: the channel mean, clipped at the q-th percentile, over its max. */
  alpha(i: number, q: number): Float32Array {
    if (i < 0 || i >= this.n) throw new Error(`importance of image ${i} of ${this.n}`);
    const pixels = this.size * this.size;
    const out = new Float32Array(pixels);
    const base = i * pixels * 3;
    for (let p = 0; p < pixels; p++) out[p] = (this.sum[base + 3 * p] + this.sum[base + 3 * p + 1] + this.sum[base + 3 * p + 2]) / 3;
    const clip = percentile(out, q);
    let max = 0;
    for (let p = 0; p < pixels; p++) max = Math.max(max, (out[p] = Math.min(out[p], clip)));
    if (max > 0) for (let p = 0; p < pixels; p++) out[p] /= max;
    return out;
  }
}

/** An alpha map [w * h] in [0, 1] as an 8-bit grayscale PNG. */
export async function encodeGrayPng(alpha: Float32Array, width: number, height: number): Promise<Buffer> {
  const bytes = Buffer.alloc(width * height);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(alpha[i] * 255)));
  // One band is written as RGB unless its colour space says grey.
  return sharp(bytes, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer();
}
