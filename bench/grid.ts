// The grid recipe's quality, measured (`npm run bench -- grid`): for 24 units of block2_conv2,
// block3_conv2 and block3_conv4, the full recipe (128 px, 512 steps, Lucid's) and each candidate cheap
// recipe render the channel objective; a candidate keeps a unit when its activation reaches the unit's
// dataset max and 0.8x the full recipe's. Prints one table per candidate, writes a contact sheet (full |
// candidate, one row per unit) per candidate, and caches the full renders (they take ~8 minutes). Beside the
// activations, each image's clipped share (channel values at 0 or 255: how harsh it is, bench/colour.ts).
// BENCH_GRID_WHOLE=layer,... instead renders every unit of those layers against its dataset max.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { fileColourStats } from './colour.ts';
import { examplesForLayers } from '../generator/dataset/index.ts';
import { writeJsonAtomic } from '../generator/fsutil.ts';
import { encodePng } from '../generator/model/image.ts';
import { FULL_RECIPE, GRID_RECIPE, recipe, type Recipe, transformsOf } from '../generator/optvis/recipes.ts';
import { encodeGrayPng } from '../generator/optvis/importance.ts';
import { visualize, type UnitVisualization, type VisualizeOptions } from '../generator/optvis/visualize.ts';

/** Where the grid and MACO benches write their renders, caches and contact sheets. */
export const OUT = path.resolve(process.env.BENCH_GRID_OUT ?? 'bench-out/grid');
/** The dataset examples both benches rank against (top 4 per unit: `bench -- maco` also measures the crops). */
export const EXAMPLES_OUT = path.join(OUT, 'examples');
/** 8 units per layer, evenly spread, the featured block3_conv4:166 among them. */
export const GRID_BENCH_UNITS: Record<string, number[]> = {
  block2_conv2: Array.from({ length: 8 }, (_, i) => 5 + 16 * i),
  block3_conv2: Array.from({ length: 8 }, (_, i) => 13 + 32 * i),
  block3_conv4: Array.from({ length: 8 }, (_, i) => (i === 5 ? 166 : 7 + 32 * i)),
};

/** The candidates tried for the README's table, beside the shipped one (BENCH_GRID_CANDIDATES=name,name picks some). */
const CANDIDATES: Record<string, Recipe> = {
  grid: GRID_RECIPE,
  // The grid recipe until 2026-12-05: the pre-ReLU channel mean (block2_conv2's images below their dataset max).
  'grid-pre-relu': { ...GRID_RECIPE, lr: 0.5, relu: undefined },
  // The grid recipe until 2026-12-04 (Lucid's pad scaled: 6 px).
  's64-128-lr0.3-cos': recipe(64, 128, 0.3, 'cosine'),
  's64-128-lr0.1-cos': recipe(64, 128, 0.1, 'cosine'),
  's64-64-lr0.1-cos': recipe(64, 64, 0.1, 'cosine'),
  's64-128-lr0.05': recipe(64, 128, 0.05, 'constant'),
  's64-128-lr0.2-cos': recipe(64, 128, 0.2, 'cosine'),
  's64-96-lr0.3-cos': recipe(64, 96, 0.3, 'cosine'),
  's64-128-lr0.4-cos': recipe(64, 128, 0.4, 'cosine'),
  's64-64-lr0.4-cos': recipe(64, 64, 0.4, 'cosine'),
  's64-64-lr0.6-cos': recipe(64, 64, 0.6, 'cosine'),
  's48-96-lr0.4-cos': recipe(48, 96, 0.4, 'cosine'),
  // Smaller pads (fewer network pixels a step).
  's64-128-lr0.3-cos-pad0': { ...recipe(64, 128, 0.3, 'cosine'), pad: 0 },
  's64-128-lr0.4-cos-pad2': { ...recipe(64, 128, 0.4, 'cosine'), pad: 2 },
  's64-128-lr0.3-cos-pad3': { ...recipe(64, 128, 0.3, 'cosine'), pad: 3 },
  's64-128-lr0.4-cos-pad3': { ...recipe(64, 128, 0.4, 'cosine'), pad: 3 },
  's64-128-lr0.3-cos-pad4': { ...recipe(64, 128, 0.3, 'cosine'), pad: 4 },
  // The grid recipe on 2026-12-04 (pad 4, 128 steps); then fewer steps, 112 at lr 0.5 ships.
  's64-128-lr0.4-cos-pad4': { ...recipe(64, 128, 0.4, 'cosine'), pad: 4 },
  's64-112-lr0.4-cos-pad4': { ...recipe(64, 112, 0.4, 'cosine'), pad: 4 },
  's64-96-lr0.5-cos-pad4': { ...recipe(64, 96, 0.5, 'cosine'), pad: 4 },
  // Post-ReLU at other rates (2026-12-05): lr 0.5 (shipped until then) clips a median 18% of channel values, 0.3 4%.
  'grid-lr0.5': { ...GRID_RECIPE, lr: 0.5 },
  'grid-lr0.4': { ...GRID_RECIPE, lr: 0.4 },
  'grid-128-lr0.3': { ...GRID_RECIPE, steps: 128, lr: 0.3 },
  'grid-144-lr0.3': { ...GRID_RECIPE, steps: 144, lr: 0.3 },
};

export interface Rendered {
  unit: number;
  /** Pre-ReLU channel mean on the final image: what the channel objective maximizes. */
  mean: number;
  /** Post-ReLU channel mean: what it maximizes with `relu` (absent from caches written before it was recorded). */
  postMean?: number;
  /** Pre-ReLU value at the centre position (for MACO's 256 px image: the middle of what its crops see). */
  centre: number;
  /** Post-ReLU max over positions: comparable with the dataset max. */
  max: number;
  seconds: number;
  png: string;
  /** MACO's importance map (8-bit grayscale PNG). */
  importance?: string;
}

/**
 * Renders the channel objective of `units` at `recipe` into <OUT>/<name>/, cached by recipe, units and
 * `key` (what `extra` depends on beyond the recipe, e.g. MACO's magnitude spectrum).
 */
export async function renderAll(name: string, recipe: Recipe, layer: string, units: number[], extra: Partial<VisualizeOptions> = {}, extraKey = ''): Promise<Rendered[]> {
  const dir = path.join(OUT, name);
  mkdirSync(dir, { recursive: true });
  const cache = path.join(dir, `${layer}.json`);
  const key = JSON.stringify({ recipe: { ...recipe, transforms: transformsOf(recipe) }, units, extraKey });
  if (existsSync(cache)) {
    const c = JSON.parse(readFileSync(cache, 'utf8')) as { key: string; results: Rendered[] };
    if (c.key === key) return c.results;
  }
  const results: Rendered[] = [];
  await visualize({
    model: {},
    layer,
    units,
    objective: 'channel',
    seed: 0,
    ...recipe,
    transforms: transformsOf(recipe),
    ...(recipe.relu ? { objectiveOptions: { relu: true } } : {}),
    ...extra,
    onResult: async (vs: UnitVisualization[]) => {
      for (const v of vs) {
        const png = path.join(dir, `${layer}_${v.unit}.png`);
        const im = v.images[0];
        writeFileSync(png, await encodePng(im.pixels, v.size, v.size));
        let importance: string | undefined;
        if (im.importance) {
          importance = path.join(dir, `${layer}_${v.unit}_importance.png`);
          writeFileSync(importance, await encodeGrayPng(im.importance, v.size, v.size));
        }
        const a = v.activation;
        results.push({ unit: v.unit, mean: a.pre.mean, postMean: a.mean, centre: a.pre.centre, max: a.max, seconds: v.seconds / v.batch, png, ...(importance ? { importance } : {}) });
      }
    },
  });
  writeJsonAtomic(cache, { key, results });
  return results;
}

export async function contactSheet(file: string, rows: Array<{ full: string; grid: string }>): Promise<void> {
  const cell = 128;
  const width = 2 * cell + 8;
  const height = rows.length * (cell + 4);
  const composites = await Promise.all(
    rows.flatMap((r, i) => [
      sharp(r.full).resize(cell, cell, { kernel: 'nearest' }).png().toBuffer().then((input) => ({ input, left: 0, top: i * (cell + 4) })),
      sharp(r.grid).resize(cell, cell, { kernel: 'nearest' }).png().toBuffer().then((input) => ({ input, left: cell + 8, top: i * (cell + 4) })),
    ]),
  );
  await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(composites).png().toFile(file);
}

/** Sorted ratios' min, median and max, as "1.06-2.47x (median 1.43x)". */
const spread = (r: number[]) => `${r[0].toFixed(2)}-${r.at(-1)!.toFixed(2)}x (median ${r[r.length >> 1].toFixed(2)}x)`;

/** Each image's share of channel values at 0 or 255, sorted. */
const clippedShares = async (pngs: string[]) => (await Promise.all(pngs.map(async (f) => (await fileColourStats(f)).clipped))).sort((a, b) => a - b);
/** Sorted shares' min, median and max, as "3-37% (median 17%)". */
const percents = (r: number[]) => `${(100 * r[0]).toFixed(0)}-${(100 * r.at(-1)!).toFixed(0)}% (median ${(100 * r[r.length >> 1]).toFixed(0)}%)`;

/**
 * BENCH_GRID_WHOLE=block2_conv2,block3_conv2: every unit of these layers at each candidate, its grid image's
 * max against its dataset max (the layer pages' "vs dataset" line), and the units left grey (post-ReLU mean < 1).
 */
async function wholeLayers(layers: string[], candidates: string[]): Promise<void> {
  const ex = await examplesForLayers({ layers: [...new Set([...Object.keys(GRID_BENCH_UNITS), ...layers])], top: 4, out: EXAMPLES_OUT, quiet: true });
  for (const layer of layers) {
    const units = ex.get(layer)!.units.map((_, i) => i);
    for (const name of candidates) {
      const t0 = performance.now();
      const rs = await renderAll(`${name}-all`, CANDIDATES[name], layer, units);
      const ratios = rs.map((r) => r.max / (ex.get(layer)!.units[r.unit].top[0]?.activation ?? 0)).sort((a, b) => a - b);
      const grey = rs.filter((r) => r.postMean! < 1).map((r) => r.unit);
      const clipped = await clippedShares(rs.map((r) => r.png));
      console.log(`  ${layer}, ${name}: ${ratios.filter((x) => x > 1).length} of ${units.length} units above their dataset max, ${spread(ratios)}; grey: ${grey.join(', ') || 'none'}; clipped ${percents(clipped)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
}

export async function benchGrid(): Promise<void> {
  const whole = process.env.BENCH_GRID_WHOLE;
  if (whole) {
    console.log('\ngrid recipe on whole layers (channel objective), against each unit\'s dataset max');
    return wholeLayers(whole.split(','), (process.env.BENCH_GRID_CANDIDATES ?? 'grid').split(','));
  }
  console.log('\ngrid recipe quality (channel objective): full = 128 px x 512 steps (Lucid)');
  const layers = Object.keys(GRID_BENCH_UNITS);
  const ex = await examplesForLayers({ layers, top: 4, out: EXAMPLES_OUT, quiet: true });
  const datasetMax = (layer: string, unit: number) => ex.get(layer)!.units[unit].top[0]?.activation ?? 0;
  const candidates = (process.env.BENCH_GRID_CANDIDATES ?? 'grid').split(',');
  for (const name of candidates) {
    const r_ = CANDIDATES[name];
    if (!r_) throw new Error(`unknown candidate ${name}; known: ${Object.keys(CANDIDATES).join(', ')}`);
    // Like for like: the full recipe optimizes what the candidate does (post-ReLU with `relu`), and both are compared on it.
    const relu = !!r_.relu;
    const objective = (r: Rendered) => (relu ? r.postMean! : r.mean);
    const full = new Map<string, Rendered[]>();
    for (const layer of layers) full.set(layer, await renderAll(relu ? 'full-relu' : 'full', { ...FULL_RECIPE, ...(relu ? { relu } : {}) }, layer, GRID_BENCH_UNITS[layer]));
    const t = transformsOf(r_);
    console.log(`\n  ${name}: ${JSON.stringify(r_)}: pad ${t.pad}, jitter ${t.jitter1}/${t.jitter2}`);
    console.log(`  mean = ${relu ? 'post' : 'pre'}-ReLU channel mean (the objective), max = post-ReLU max over positions (the dataset max's quantity)`);
    console.log(`  ${'unit'.padEnd(18)} ${'dataset max'.padStart(11)} ${'full mean'.padStart(10)} ${'max'.padStart(7)} ${'grid mean'.padStart(10)} ${'max'.padStart(7)} ${'mean/full'.padStart(9)} ${'max/full'.padStart(8)} ${'max/ds'.padStart(7)} ${'s/unit full'.padStart(11)} ${'grid'.padStart(6)} ${'clip full'.padStart(9)} ${'grid'.padStart(5)}`);
    const rows: Array<{ full: string; grid: string }> = [];
    let pass = 0;
    let n = 0;
    let tFull = 0;
    let tGrid = 0;
    const clip = { full: [] as number[], grid: [] as number[] };
    for (const layer of layers) {
      const g = await renderAll(name, r_, layer, GRID_BENCH_UNITS[layer]);
      for (const r of g) {
        const f = full.get(layer)!.find((x) => x.unit === r.unit)!;
        const ds = datasetMax(layer, r.unit);
        // Like for like: the dataset max is a max over positions; the full recipe's activation is its objective.
        const ok = objective(r) >= 0.8 * objective(f) && r.max >= ds;
        pass += ok ? 1 : 0;
        n++;
        tFull += f.seconds;
        tGrid += r.seconds;
        rows.push({ full: f.png, grid: r.png });
        const [cf, cg] = [(await fileColourStats(f.png)).clipped, (await fileColourStats(r.png)).clipped];
        clip.full.push(cf);
        clip.grid.push(cg);
        console.log(
          `  ${`${layer}:${r.unit}`.padEnd(18)} ${ds.toFixed(0).padStart(11)} ${objective(f).toFixed(0).padStart(10)} ${f.max.toFixed(0).padStart(7)} ${objective(r).toFixed(0).padStart(10)} ${r.max.toFixed(0).padStart(7)} ${(objective(r) / objective(f)).toFixed(2).padStart(9)} ${(r.max / f.max).toFixed(2).padStart(8)} ${(r.max / ds).toFixed(2).padStart(7)} ${f.seconds.toFixed(1).padStart(11)} ${r.seconds.toFixed(2).padStart(6)} ${`${(100 * cf).toFixed(0)}%`.padStart(9)} ${`${(100 * cg).toFixed(0)}%`.padStart(5)}${ok ? '' : '  FAIL'}`,
        );
      }
    }
    const sheet = path.join(OUT, `contact-${name}.png`);
    await contactSheet(sheet, rows);
    console.log(`  ${name}: ${pass}/${n} units pass; ${(tFull / n).toFixed(1)} vs ${(tGrid / n).toFixed(2)} s per unit (${(tFull / tGrid).toFixed(1)}x cheaper); contact sheet ${sheet}`);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    console.log(`  clipped (channel values at 0 or 255): full ${percents(sorted(clip.full))}, ${name} ${percents(sorted(clip.grid))}`);
  }
}
