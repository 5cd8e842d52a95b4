// The site's one reader of the generated atlas (ATLAS_GENERATED_DIR, default generated/). Every file is
// validated against the generator's zod schemas (generator/pipeline/schema.ts) when first read and then
// cached for the build. Pages and MDX components get their data only from here; they format, they do not
// compute. Errors name the file or the id and say what to do.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CircuitJson, LayerJson, Manifest, ModelJson, RunJson, SCHEMA, TuningJson, UnitJson } from '../../generator/pipeline/schema.ts';
import { DataPathError, pathNumber } from './data-path';

/** The version of the generated files' format this site reads. */
export { SCHEMA };

export type { CircuitJson, LayerJson, Manifest, ModelJson, RunJson, UnitJson };
export type Thumbnail = NonNullable<UnitJson['thumbnail']>;
export type FvEntry = UnitJson['fv'][string];
export type Examples = NonNullable<UnitJson['examples']>;
export type Example = Examples['top'][number];
export type UnitCircuit = NonNullable<UnitJson['circuit']>;
export type Connection = UnitCircuit['inputs'][number];
export type LayerUnit = LayerJson['units'][number];

/** Where the site publishes the generated images: /atlas/<path relative to the generated folder>. */
export const ASSET_PREFIX = '/atlas/';
/** The network's input as a connection source (the image's B, G, R channels): it has no pages. */
export const INPUT_LAYER = 'input';

export class AtlasDataError extends Error {
  override name = 'AtlasDataError';
}

/** The generated folder, absolute (astro.config.mjs resolves ATLAS_GENERATED_DIR against the project root). */
export function generatedDir(): string {
  return path.resolve(process.env.ATLAS_GENERATED_DIR || 'generated');
}

const GENERATE_HINT = 'Generate it with `npx atlas generate --config <config>` (e.g. configs/ci.config.ts), or point ATLAS_GENERATED_DIR at a generated folder.';

const cache = new Map<string, unknown>();

function read<S extends z.ZodType>(rel: string, schema: S, optional: true): z.infer<S> | null;
function read<S extends z.ZodType>(rel: string, schema: S, optional?: false): z.infer<S>;
function read<S extends z.ZodType>(rel: string, schema: S, optional = false): z.infer<S> | null {
  const key = rel;
  if (cache.has(key)) return cache.get(key) as z.infer<S> | null;
  const file = path.join(generatedDir(), rel);
  if (!existsSync(file)) {
    if (optional) {
      cache.set(key, null);
      return null;
    }
    throw new AtlasDataError(`Missing generated file ${file}. ${GENERATE_HINT}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AtlasDataError(`${file} is not valid JSON (${(e as Error).message}). Regenerate it.`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AtlasDataError(`${file} does not match the atlas schema (generator/pipeline/schema.ts): ${issues.join('; ')}. Regenerate it with the current generator.`);
  }
  cache.set(key, parsed.data);
  return parsed.data;
}

// ---------------------------------------------------------------------------------------------------
// Files

export function manifest(): Manifest {
  return read('manifest.json', Manifest);
}

/** What the last generation run did, with its dates; absent for data assembled without a run record. */
export function run(): RunJson | null {
  return read('run.json', RunJson, true);
}

export function model(id: string): ModelJson {
  if (!manifest().models.includes(id)) throw new AtlasDataError(`Model "${id}" is not in the generated atlas (models: ${manifest().models.join(', ')}).`);
  return read(`${id}/model.json`, ModelJson);
}

export function models(): ModelJson[] {
  return manifest().models.map(model);
}

/** The layers of a model that have generated data (a layer.json), in the model's order. */
export function layers(modelId: string): LayerJson[] {
  return model(modelId)
    .layers.filter((l) => l.generated.units > 0)
    .map((l) => layer(modelId, l.name));
}

export function hasLayer(modelId: string, name: string): boolean {
  return manifest().models.includes(modelId) && model(modelId).layers.some((l) => l.name === name && l.generated.units > 0);
}

export function layer(modelId: string, name: string): LayerJson {
  if (!hasLayer(modelId, name)) {
    const known = model(modelId).layers.some((l) => l.name === name);
    throw new AtlasDataError(
      known ? `Layer ${modelId}/${name} has no generated units (add it to the atlas config's layers and regenerate).` : `Model ${modelId} has no layer "${name}".`,
    );
  }
  return read(`${modelId}/${name}/layer.json`, LayerJson);
}

/** The layer's entry for one unit (thumbnail, top classes, objectives), or null when it has no page. */
export function layerUnit(modelId: string, layerName: string, unitIndex: number): LayerUnit | null {
  if (!hasLayer(modelId, layerName)) return null;
  return layer(modelId, layerName).units.find((u) => u.unit === unitIndex) ?? null;
}

/** Whether the unit has generated data, hence a page. The image's channels (layer "input") never do. */
export function hasUnit(modelId: string, layerName: string, unitIndex: number): boolean {
  return layerUnit(modelId, layerName, unitIndex) !== null;
}

export function unit(modelId: string, layerName: string, unitIndex: number): UnitJson {
  if (!hasUnit(modelId, layerName, unitIndex)) throw new AtlasDataError(`Unit ${modelId}/${layerName}/${unitIndex} is not in the generated atlas.`);
  return read(`${modelId}/${layerName}/${unitIndex}/unit.json`, UnitJson);
}

export function units(modelId: string, layerName: string): UnitJson[] {
  return layer(modelId, layerName).units.map((u) => unit(modelId, layerName, u.unit));
}

/** The thumbnail of any unit the atlas knows (for circuit lists), or null. */
export function thumbnailOf(modelId: string, layerName: string, unitIndex: number): Thumbnail | null {
  return layerUnit(modelId, layerName, unitIndex)?.thumbnail ?? null;
}

/** A feature visualization's images are settings.size px square. */
export function fvSize(entry: FvEntry): number {
  return entry.settings.size;
}

/** A dataset crop is the unit's receptive field clamped to the image: at most rf.size px square. */
export function cropSize(modelId: string, layerName: string): number {
  return layer(modelId, layerName).rf.size;
}

export interface ThumbnailInfo {
  thumbnail: Thumbnail;
  /** Its size in px as far as the data tells (null: unknown). */
  natural: number | null;
}

/** A unit's thumbnail with its size, or null when the unit has none (or no page). */
export function thumbnailInfo(modelId: string, layerName: string, unitIndex: number): ThumbnailInfo | null {
  const thumbnail = thumbnailOf(modelId, layerName, unitIndex);
  if (!thumbnail) return null;
  let natural: number | null = null;
  if (thumbnail.kind === 'example') natural = cropSize(modelId, layerName);
  else if (thumbnail.kind === 'fv') {
    const entry = Object.values(unit(modelId, layerName, unitIndex).fv).find((e) => e.images.some((im) => im.file === thumbnail.file));
    natural = entry ? fvSize(entry) : null;
  }
  return { thumbnail, natural };
}

/** The units before and after this one in its layer (for prev/next links). */
export function neighbours(modelId: string, layerName: string, unitIndex: number): { prev: LayerUnit | null; next: LayerUnit | null } {
  const list = layer(modelId, layerName).units;
  const i = list.findIndex((u) => u.unit === unitIndex);
  return { prev: i > 0 ? list[i - 1] : null, next: i >= 0 && i < list.length - 1 ? list[i + 1] : null };
}

// ---------------------------------------------------------------------------------------------------
// Circuits

export function circuitIds(): string[] {
  return manifest().circuits.map((c) => c.id);
}

export function hasCircuit(id: string): boolean {
  return circuitIds().includes(id) && existsSync(path.join(generatedDir(), 'circuits', `${id}.json`));
}

export function circuit(id: string): CircuitJson {
  if (!hasCircuit(id)) {
    throw new AtlasDataError(`Circuit "${id}" is not in the generated atlas (circuits: ${circuitIds().join(', ') || 'none'}; add it to the atlas config's circuits and regenerate).`);
  }
  return read(`circuits/${id}.json`, CircuitJson);
}

export function circuits(): CircuitJson[] {
  return circuitIds().filter(hasCircuit).map(circuit);
}

/** The id of the circuit graph rooted at a unit, if one was generated. */
export function circuitIdOf(modelId: string, layerName: string, unitIndex: number): string | null {
  const c = manifest().circuits.find((x) => x.layer === layerName && x.unit === unitIndex);
  return c && hasCircuit(c.id) && circuit(c.id).model === modelId ? c.id : null;
}

/** A circuit's node id ("layer:unit") as layer and unit. */
export function parseNodeId(id: string): { layer: string; unit: number } {
  const m = /^(\w+):(\d+)$/.exec(id);
  if (!m) throw new AtlasDataError(`Malformed circuit node id "${id}" (expected layer:unit).`);
  return { layer: m[1], unit: Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------------
// Ids used by write-ups: "vgg19/block3_conv4/8"

export interface UnitRef {
  model: string;
  layer: string;
  unit: number;
}

export function parseUnitId(id: string): UnitRef {
  const m = /^([\w-]+)\/(\w+)\/(\d+)$/.exec(id.trim());
  if (!m) throw new AtlasDataError(`Malformed unit id "${id}" (expected model/layer/unit, e.g. vgg19/block3_conv4/8).`);
  return { model: m[1], layer: m[2], unit: Number(m[3]) };
}

export function unitId(r: UnitRef): string {
  return `${r.model}/${r.layer}/${r.unit}`;
}

/** The unit named by an id, or an error saying why the atlas does not have it. */
export function unitById(id: string): UnitJson {
  const r = parseUnitId(id);
  if (!manifest().models.includes(r.model)) throw new AtlasDataError(`Unit ${id}: model "${r.model}" is not in the generated atlas.`);
  if (!model(r.model).layers.some((l) => l.name === r.layer)) throw new AtlasDataError(`Unit ${id}: model ${r.model} has no layer "${r.layer}".`);
  if (!hasLayer(r.model, r.layer)) throw new AtlasDataError(`Unit ${id}: layer ${r.layer} was not generated (no layer.json in ${generatedDir()}).`);
  if (!hasUnit(r.model, r.layer, r.unit)) throw new AtlasDataError(`Unit ${id}: layer ${r.layer} has no unit ${r.unit}.`);
  return unit(r.model, r.layer, r.unit);
}

export interface Edge {
  from: UnitRef;
  to: UnitJson;
  connection: Connection;
  /** The colour scale of the target's kernel pictures. */
  maxAbs: number;
  /** Which of the target's lists holds the edge. */
  list: 'inputs' | 'excitatory' | 'inhibitory';
}

/**
 * The connection from one unit to another, from the target unit's circuit data (its top inputs by L2,
 * its most excitatory and most inhibitory inputs). Only those are generated: any other edge is an error.
 */
export function edge(fromId: string, toId: string): Edge {
  const from = parseUnitId(fromId);
  const to = unitById(toId);
  if (from.model !== to.model) throw new AtlasDataError(`Edge ${fromId} -> ${toId}: the units are in different models.`);
  const c = to.circuit;
  if (!c) throw new AtlasDataError(`Edge ${fromId} -> ${toId}: unit ${toId} has no generated circuit data.`);
  for (const list of ['inputs', 'excitatory', 'inhibitory'] as const) {
    const connection = c[list].find((x) => x.layer === from.layer && x.unit === from.unit);
    if (connection) return { from, to, connection, maxAbs: c.maxAbs, list };
  }
  throw new AtlasDataError(
    `Edge ${fromId} -> ${toId}: ${fromId} is not among the generated inputs of ${toId} (its top inputs, excitatory and inhibitory lists: ${[
      ...new Set([...c.inputs, ...c.excitatory, ...c.inhibitory].map((x) => `${x.layer}/${x.unit}`)),
    ]
      .slice(0, 12)
      .join(', ')}, ...).`,
  );
}

// ---------------------------------------------------------------------------------------------------
// URLs (stable permalinks, trailing slash)

export const url = {
  home: () => '/',
  model: (m: string) => `/models/${m}/`,
  layer: (m: string, l: string) => `/models/${m}/${l}/`,
  unit: (m: string, l: string, u: number) => `/models/${m}/${l}/${u}/`,
  circuit: (id: string) => `/circuits/${id}/`,
  writeup: (slug: string) => `/writeups/${slug}/`,
  asset: (file: string) => `${ASSET_PREFIX}${file.split('/').map(encodeURIComponent).join('/')}`,
  data: {
    index: () => '/data/',
    manifest: () => '/data/manifest.json',
    model: (m: string) => `/data/${m}/model.json`,
    layer: (m: string, l: string) => `/data/${m}/${l}.json`,
    unit: (m: string, l: string, u: number) => `/data/${m}/${l}/${u}.json`,
    circuit: (id: string) => `/data/circuits/${id}.json`,
  },
};

/** A unit's page, or null when it has none (ungenerated units, the image's channels). */
export function unitUrlIfAny(modelId: string, layerName: string, unitIndex: number): string | null {
  return hasUnit(modelId, layerName, unitIndex) ? url.unit(modelId, layerName, unitIndex) : null;
}

// ---------------------------------------------------------------------------------------------------
// Tuning to synthetic stimuli (unit.json `tuning`, generator/stimuli/tuning.ts TuneResult)

// One schema for tuning data: the generator's (unit.json already validates it; parsed again for the message).
const TuningView = TuningJson;
/** A tuning result as the site reads it (the generated file holds more: grids, discs, probe). */
export type Tuning = TuningJson;

/** The unit's tuning results by stimulus, in the file's order (empty when none were generated). */
export function tunings(u: UnitJson): [string, Tuning][] {
  return Object.entries(u.tuning ?? {}).map(([stimulus, t]) => {
    const parsed = TuningView.safeParse(t);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new AtlasDataError(`Unit ${u.id}: tuning.${stimulus} is not a tuning result (${i.path.join('.')}: ${i.message}). Regenerate it with the current generator.`);
    }
    return [stimulus, parsed.data];
  });
}

/** One stimulus' tuning of a unit named by id, or an error listing what was generated. */
export function tuningById(id: string, stimulus: string): Tuning {
  const u = unitById(id);
  const all = tunings(u);
  const found = all.find(([s]) => s === stimulus);
  if (!found) {
    throw new AtlasDataError(
      all.length
        ? `Unit ${id} has no tuning for stimulus "${stimulus}" (generated: ${all.map(([s]) => s).join(', ')}).`
        : `Unit ${id} has no generated tuning (add it to the atlas config's tuning and regenerate).`,
    );
  }
  return found[1];
}

/**
 * The number at a dotted path of a unit's unit.json ("tuning.circle.summary.rotationInvariance",
 * "examples.firing_rate", "circuit.inputs.0.l2"), for citing it in prose; an error names where the path
 * stops when it does not lead to a number.
 */
export function unitNumber(id: string, dotted: string): number {
  const u = unitById(id);
  try {
    return pathNumber(u, dotted);
  } catch (e) {
    if (e instanceof DataPathError) throw new AtlasDataError(`Unit ${id}: ${e.message}`);
    throw e;
  }
}
