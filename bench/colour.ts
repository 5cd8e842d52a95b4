// Colour statistics of an image, to compare feature visualizations with photographs (`bench -- maco`).
// Colourfulness is Hasler & Süsstrunk's (2003) M: sqrt(sd_rg² + sd_yb²) + 0.3 sqrt(mean_rg² + mean_yb²)
// with rg = R - G, yb = (R + G) / 2 - B on 0..255 sRGB; about 0 for grey, 33 "moderately", 59 "quite",
// over 82 "extremely colourful" in their scale. Saturation is HSV's (max - min) / max, averaged over pixels.
// Clipped is the share of channel values at 0 or 255: how much of a feature visualization sits at the ends
// of its sigmoid (the grid recipe's images are harsher than the full recipe's by it).
import sharp from 'sharp';

export interface ColourStats {
  colourfulness: number;
  saturation: number;
  /** Share of R, G and B values at 0 or 255. */
  clipped: number;
}

/** Statistics of interleaved RGB pixels (0..255, `channels` per pixel, the first three RGB). */
export function colourStats(px: ArrayLike<number>, channels = 3): ColourStats {
  const n = Math.floor(px.length / channels);
  if (n === 0) throw new Error('colourStats: no pixels');
  let srg = 0;
  let syb = 0;
  let qrg = 0;
  let qyb = 0;
  let sat = 0;
  let ends = 0;
  for (let i = 0; i < n; i++) {
    const r = px[i * channels];
    const g = px[i * channels + 1];
    const b = px[i * channels + 2];
    const rg = r - g;
    const yb = (r + g) / 2 - b;
    srg += rg;
    syb += yb;
    qrg += rg * rg;
    qyb += yb * yb;
    const hi = Math.max(r, g, b);
    sat += hi > 0 ? (hi - Math.min(r, g, b)) / hi : 0;
    for (const v of [r, g, b]) ends += v <= 0 || v >= 255 ? 1 : 0;
  }
  const mrg = srg / n;
  const myb = syb / n;
  const vrg = Math.max(0, qrg / n - mrg * mrg);
  const vyb = Math.max(0, qyb / n - myb * myb);
  return { colourfulness: Math.sqrt(vrg + vyb) + 0.3 * Math.sqrt(mrg * mrg + myb * myb), saturation: sat / n, clipped: ends / (3 * n) };
}

/** colourStats of an image file (PNG, WebP, ...), its alpha ignored. */
export async function fileColourStats(file: string): Promise<ColourStats> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return colourStats(data, info.channels);
}
