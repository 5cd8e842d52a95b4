// The dataset stage's cache: one record per layer under <out>/.cache/, keyed by everything the result
// depends on (engine, weights sha256, dataset digest, layer, preprocessing, k, and the stage's code: a
// hash of every module examplesForLayers reaches, engines and graph builders included). Records
// carry a schema number and are validated when read; a stale, foreign or corrupt record is a miss.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { codeGraphs } from '../code-version.ts';
import { RESIZE_SHORT_SIDE } from '../model/image.ts';
import type { ModelSpec } from '../model/spec.ts';
import { writeFileAtomic } from '../fsutil.ts';
import { cacheDir } from '../paths.ts';
import type { LayerExamples } from './types.ts';

export const CACHE_SCHEMA = 3;

/** Hash of the stage's module graph (see code-version.ts): any edit to how results are computed invalidates old records. */
export function stageCodeVersion(): string {
  return codeGraphs({ dataset: ['generator/dataset/index.ts'] }).dataset.version;
}

export interface CacheKeyParts {
  spec: ModelSpec;
  /** The engine that computes (onnxruntime, onnxruntime-cuda, tfjs-<backend>): their activations agree to ~1e-5, not to the bit. */
  engine: string;
  weightsSha256: string;
  datasetDigest: string;
  layer: string;
  k: number;
}

export function cacheKey(p: CacheKeyParts): string {
  const parts = {
    model: p.spec.id,
    engine: p.engine,
    weights: p.weightsSha256,
    dataset: p.datasetDigest,
    layer: p.layer,
    preprocessing: { ...p.spec.preprocessing, inputSize: p.spec.inputSize, resizeShortSide: RESIZE_SHORT_SIDE },
    k: p.k,
    code: stageCodeVersion(),
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function recordPath(out: string, layer: string, key: string): string {
  return path.join(cacheDir(out), `examples-${layer}-${key.slice(0, 16)}.json`);
}

const Example = z.object({
  image: z.string(),
  class: z.string(),
  label: z.string(),
  activation: z.number(),
  x: z.number().int(),
  y: z.number().int(),
  crop: z.string(),
});
const Skipped = z.object({ file: z.string(), reason: z.string() });
const Unit = z.object({
  layer: z.string(),
  unit: z.number().int(),
  top: z.array(Example),
  bottom: z.array(Example),
  negative: z.array(Example),
  classes: z.array(z.object({ wnid: z.string(), label: z.string(), mean: z.number(), max: z.number(), images: z.number().int() })),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number().int()) }),
  firing_rate: z.number(),
  position_rate: z.number(),
  silent: z.number().int(),
  images: z.number().int(),
  skipped: z.array(Skipped),
});
const Record = z.object({
  schema: z.literal(CACHE_SCHEMA),
  key: z.string(),
  result: z.object({ layer: z.string(), images: z.number().int(), skipped: z.array(Skipped), units: z.array(Unit) }),
});

/** The cached result, or null on a miss (absent, other key, unreadable or invalid record). */
export function readCache(out: string, layer: string, key: string): LayerExamples | null {
  const file = recordPath(out, layer, key);
  if (!existsSync(file)) return null;
  try {
    const rec = Record.parse(JSON.parse(readFileSync(file, 'utf8')));
    return rec.key === key ? rec.result : null;
  } catch {
    return null;
  }
}

export function writeCache(out: string, key: string, result: LayerExamples): void {
  writeFileAtomic(recordPath(out, result.layer, key), JSON.stringify({ schema: CACHE_SCHEMA, key, result }));
}

/**
 * Which result the crops on disk for a layer belong to. Crops live at fixed paths, so a run on another
 * dataset overwrites them; a cache hit is served only when this marker says the crops are its own.
 */
function cropMarker(out: string, model: string, layer: string): string {
  return path.join(cacheDir(out), `crops-${model}-${layer}.key`);
}

export function cropsKey(out: string, model: string, layer: string): string | null {
  try {
    return readFileSync(cropMarker(out, model, layer), 'utf8').trim();
  } catch {
    return null;
  }
}

export function setCropsKey(out: string, model: string, layer: string, key: string): void {
  writeFileAtomic(cropMarker(out, model, layer), `${key}\n`);
}
