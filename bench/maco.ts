// MACO against Lucid's Fourier recipe, measured (`npm run bench -- maco`): for the grid bench's 24 units
// of block2_conv2, block3_conv2 and block3_conv4, the channel objective at the full recipe (128 px, 512
// Adam steps; cached with the grid bench) and at MACO's (256 px, 2 crops -> 128 px, 256 NAdam steps):
// the activation each reaches against the unit's dataset max, and the colour statistics (bench/colour.ts)
// of each image and of the unit's top-4 dataset crops. Writes a contact sheet (dataset crop | Fourier |
// MACO | MACO with its importance as alpha, one row per unit). About 25 minutes on 2 cores, cached after.
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { examplesForLayers } from '../generator/dataset/index.ts';
import { datasetDigest, openDataset, resolveDatasetPath } from '../generator/dataset/source.ts';
import { macoMagnitude } from '../generator/optvis/maco-spectrum.ts';
import { FULL_RECIPE, MACO_RECIPE } from '../generator/optvis/recipes.ts';
import { fileColourStats, type ColourStats } from './colour.ts';
import { EXAMPLES_OUT, GRID_BENCH_UNITS, OUT, renderAll, type Rendered } from './grid.ts';

const CELL = 128;

async function meanStats(files: string[]): Promise<ColourStats> {
  const all = await Promise.all(files.map(fileColourStats));
  return {
    colourfulness: all.reduce((a, s) => a + s.colourfulness, 0) / all.length,
    saturation: all.reduce((a, s) => a + s.saturation, 0) / all.length,
    clipped: all.reduce((a, s) => a + s.clipped, 0) / all.length,
  };
}

async function cell(file: string, alpha?: string): Promise<Buffer> {
  const img = sharp(file).removeAlpha().resize(CELL, CELL, { kernel: 'lanczos3' });
  if (!alpha) return img.png().toBuffer();
  // sharp joins channels before it resizes: resize both first, then join them as raw pixels.
  const rgb = await img.raw().toBuffer();
  const a = await sharp(alpha).resize(CELL, CELL, { kernel: 'lanczos3' }).extractChannel(0).raw().toBuffer();
  const raw = { width: CELL, height: CELL, channels: 3 as const };
  const rgba = await sharp(rgb, { raw }).joinChannel(a, { raw: { ...raw, channels: 1 } }).png().toBuffer();
  // Over white, as the unit page shows it.
  return sharp({ create: { width: CELL, height: CELL, channels: 3, background: '#ffffff' } }).composite([{ input: rgba }]).png().toBuffer();
}

interface Row {
  crop: string;
  fourier: Rendered;
  maco: Rendered;
}

/** Two blocks of rows side by side, 4 cells a row. */
async function contactSheet(file: string, rows: Row[]): Promise<void> {
  const half = Math.ceil(rows.length / 2);
  const blockW = 4 * (CELL + 4) + 16;
  const composites: OverlayOptions[] = [];
  for (const [i, r] of rows.entries()) {
    const left = i < half ? 0 : blockW;
    const top = (i % half) * (CELL + 4);
    const cells = [await cell(r.crop), await cell(r.fourier.png), await cell(r.maco.png), await cell(r.maco.png, r.maco.importance)];
    cells.forEach((input, k) => composites.push({ input, left: left + k * (CELL + 4), top }));
  }
  await sharp({ create: { width: 2 * blockW, height: half * (CELL + 4), channels: 3, background: '#ffffff' } }).composite(composites).png().toFile(file);
}

export async function benchMaco(): Promise<void> {
  console.log('\nMACO vs Fourier (channel objective): Fourier = 128 px x 512 Adam steps (Lucid), MACO = 256 px, 2 crops -> 128 px, 256 NAdam steps');
  const layers = Object.keys(GRID_BENCH_UNITS);
  const ex = await examplesForLayers({ layers, top: 4, out: EXAMPLES_OUT, quiet: true });
  const ds = openDataset(resolveDatasetPath(), {});
  const spectrum = await macoMagnitude(OUT, { digest: await datasetDigest(ds), files: ds.images.map((im) => im.file) }, MACO_RECIPE.size);
  const maco = MACO_RECIPE.maco!;
  const macoExtra = { param: 'maco' as const, optimizer: MACO_RECIPE.optimizer, magnitude: spectrum.magnitude, crops: maco, importance: maco.importance };
  console.log('  mean = pre-ReLU channel mean (the objective; MACO: over its whole 256 px image), max = post-ReLU max over positions (as the dataset max)');
  console.log('  colour = Hasler-Süsstrunk colourfulness / mean HSV saturation; crops = the unit\'s top-4 dataset crops');
  const h = ['unit', 'ds max', 'F mean', 'F max', 'M mean', 'M centre', 'M max', 'M/F mean', 'M max/ds', 'F colour', 'M colour', 'crops colour', 's F', 's M'];
  const w = [18, 7, 7, 7, 7, 8, 7, 8, 8, 11, 11, 12, 5, 5];
  console.log(`  ${h.map((x, i) => (i ? x.padStart(w[i]) : x.padEnd(w[i]))).join(' ')}`);
  const rows: Row[] = [];
  const sums = { f: [0, 0], m: [0, 0], c: [0, 0], tf: 0, tm: 0, ratio: [] as number[], mOverDs: 0, fOverDs: 0 };
  for (const layer of layers) {
    const units = GRID_BENCH_UNITS[layer];
    const full = await renderAll('full', FULL_RECIPE, layer, units);
    const mac = await renderAll('maco', MACO_RECIPE, layer, units, macoExtra, spectrum.key);
    for (const m of mac) {
      const f = full.find((x) => x.unit === m.unit)!;
      const top = ex.get(layer)!.units[m.unit].top;
      const crops = top.map((e) => path.join(EXAMPLES_OUT, e.crop));
      const [cf, cm, cc] = [await fileColourStats(f.png), await fileColourStats(m.png), await meanStats(crops)];
      const ds = top[0]?.activation ?? 0;
      sums.f[0] += cf.colourfulness; sums.f[1] += cf.saturation;
      sums.m[0] += cm.colourfulness; sums.m[1] += cm.saturation;
      sums.c[0] += cc.colourfulness; sums.c[1] += cc.saturation;
      sums.tf += f.seconds; sums.tm += m.seconds;
      sums.ratio.push(m.mean / f.mean);
      sums.mOverDs += m.max >= ds ? 1 : 0;
      sums.fOverDs += f.max >= ds ? 1 : 0;
      rows.push({ crop: crops[0], fourier: f, maco: m });
      const c = (s: ColourStats) => `${s.colourfulness.toFixed(0)} / ${s.saturation.toFixed(2)}`;
      const cols = [`${layer}:${m.unit}`, ds.toFixed(0), f.mean.toFixed(0), f.max.toFixed(0), m.mean.toFixed(0), m.centre.toFixed(0), m.max.toFixed(0), (m.mean / f.mean).toFixed(2), (m.max / ds).toFixed(2), c(cf), c(cm), c(cc), f.seconds.toFixed(0), m.seconds.toFixed(0)];
      console.log(`  ${cols.map((x, i) => (i ? x.padStart(w[i]) : x.padEnd(w[i]))).join(' ')}`);
    }
  }
  const n = rows.length;
  const ratios = [...sums.ratio].sort((a, b) => a - b);
  console.log(`  ${n} units: MACO/Fourier channel mean median ${ratios[Math.floor(n / 2)].toFixed(2)} (range ${ratios[0].toFixed(2)}..${ratios[n - 1].toFixed(2)}); max >= dataset max: Fourier ${sums.fOverDs}/${n}, MACO ${sums.mOverDs}/${n}`);
  console.log(`  mean colourfulness / saturation: Fourier ${(sums.f[0] / n).toFixed(0)} / ${(sums.f[1] / n).toFixed(2)}, MACO ${(sums.m[0] / n).toFixed(0)} / ${(sums.m[1] / n).toFixed(2)}, dataset crops ${(sums.c[0] / n).toFixed(0)} / ${(sums.c[1] / n).toFixed(2)}`);
  console.log(`  seconds per unit (batches of ${FULL_RECIPE.batch} and ${MACO_RECIPE.batch}): Fourier ${(sums.tf / n).toFixed(1)}, MACO ${(sums.tm / n).toFixed(1)} (${(sums.tm / sums.tf).toFixed(2)}x)`);
  const sheet = path.join(OUT, 'contact-maco.png');
  await contactSheet(sheet, rows);
  console.log(`  contact sheet (dataset crop | Fourier | MACO | MACO x importance): ${sheet}`);
}
