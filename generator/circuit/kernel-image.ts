// Kernels as pictures, in the Circuits thread's colours: red for positive weights, blue for negative, the
// strength by |w| on a white ground. Every picture of a unit uses one scale (`maxAbs`, e.g. the largest |w|
// among its inputs) so that kernels can be compared by eye. Cells stay crisp: the SVG asks for crisp edges
// and the PNG repeats each cell's pixel, so no viewer or encoder smooths them.
import sharp from 'sharp';
import type { Kernel } from './weights.ts';

export const POSITIVE: readonly [number, number, number] = [0xce, 0x1e, 0x34]; // #CE1E34
export const NEGATIVE: readonly [number, number, number] = [0x05, 0x71, 0xb0]; // #0571B0

/** RGB of one weight: white at 0, the full colour at |w| >= maxAbs, linear in between. */
export function weightColor(w: number, maxAbs: number): [number, number, number] {
  const t = maxAbs > 0 && Number.isFinite(w) ? Math.min(1, Math.abs(w) / maxAbs) : 0;
  const base = w > 0 ? POSITIVE : NEGATIVE;
  return [0, 1, 2].map((c) => Math.round(255 + (base[c] - 255) * t)) as [number, number, number];
}

function hex([r, g, b]: [number, number, number]): string {
  return `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** Largest |w| of a kernel (a default scale for a lone kernel). */
export function maxAbs(kernel: Kernel): number {
  let m = 0;
  for (const row of kernel) for (const v of row) m = Math.max(m, Math.abs(v));
  return m;
}

export interface KernelImageOptions {
  /** |w| that gets the full colour (default: the kernel's own max |w|). */
  maxAbs?: number;
  /** Pixels per cell (default 16). */
  cell?: number;
}

function dims(kernel: Kernel): { h: number; w: number } {
  const h = kernel.length;
  const w = h ? kernel[0].length : 0;
  if (h === 0 || w === 0 || kernel.some((r) => r.length !== w)) throw new Error('a kernel must be a non-empty rectangle of numbers');
  return { h, w };
}

/** An SVG document: one rect per cell, row = y, column = x. */
export function kernelSvg(kernel: Kernel, opts: KernelImageOptions = {}): string {
  const { h, w } = dims(kernel);
  const scale = opts.maxAbs ?? maxAbs(kernel);
  const cell = opts.cell ?? 16;
  const rects: string[] = [];
  kernel.forEach((row, y) =>
    row.forEach((v, x) => rects.push(`<rect x="${x}" y="${y}" width="1" height="1" fill="${hex(weightColor(v, scale))}"/>`)),
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w * cell}" height="${h * cell}" viewBox="0 0 ${w} ${h}" ` +
    `shape-rendering="crispEdges" style="image-rendering:pixelated">${rects.join('')}</svg>`
  );
}

/** A PNG of (w x cell) by (h x cell) pixels, each cell one flat colour. */
export async function kernelPng(kernel: Kernel, opts: KernelImageOptions = {}): Promise<Buffer> {
  const { h, w } = dims(kernel);
  const scale = opts.maxAbs ?? maxAbs(kernel);
  const cell = opts.cell ?? 16;
  const width = w * cell;
  const colors = kernel.map((row) => row.map((v) => weightColor(v, scale)));
  const bytes = Buffer.alloc(width * h * cell * 3);
  for (let py = 0; py < h * cell; py++) {
    for (let px = 0; px < width; px++) bytes.set(colors[Math.floor(py / cell)][Math.floor(px / cell)], (py * width + px) * 3);
  }
  return sharp(bytes, { raw: { width, height: h * cell, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
}
