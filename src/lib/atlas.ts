// The site's one reader of the generated atlas (ATLAS_GENERATED_DIR, default generated/). Every file is
// validated against the generator's zod schemas (generator/pipeline/schema.ts) when first read and then
// cached for the build. Pages and MDX components get their data only from here; they format, they do not
// compute. Errors name the file or the id and say what to do. Ids and URLs live in ids.ts (re-exported
// here); what write-up embeds look up by id, in lookups.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CircuitJson, LayerJson, Manifest, ModelJson, RunJson, SCHEMA, UnitJson } from '../../generator/pipeline/schema.ts';
import { AtlasDataError, url } from './ids';
import { allEntries } from './recipes';

/** The version of the generated files' format this site reads. */
export { SCHEMA };

export type { CircuitJson, LayerJson, Manifest, ModelJson, RunJson, UnitJson };
export * from './ids';
export type Thumbnail = NonNullable<UnitJson['thumbnail']>;
export type FvEntry = UnitJson['fv'][string];
export type Examples = NonNullable<UnitJson['examples']>;
export type Example = Examples['top'][number];
export type UnitCircuit = NonNullable<UnitJson['circuit']>;
export type Connection = UnitCircuit['inputs'][number];
export type LayerUnit = LayerJson['units'][number];

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

/** How many of a layer's units have a feature visualization of any recipe (the layer.json lists say so). */
export function visualizedUnits(modelId: string, layerName: string): number {
  return layer(modelId, layerName).units.filter((u) => u.fv.length + u.grid.length + u.maco.length > 0).length;
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
  if (thumbnail.size !== undefined) natural = thumbnail.size;
  else if (thumbnail.kind === 'example') natural = cropSize(modelId, layerName);
  else if (thumbnail.kind === 'fv') {
    const u = unit(modelId, layerName, unitIndex);
    const entry = allEntries(u).find((e) => e.images.some((im) => im.file === thumbnail.file));
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

/**
 * The manifest's circuit entries with their model. Entries of an older single-model manifest carry no
 * `model`: they belong to its only (first) model, as the generator's merge reads them (pipeline/manifest.ts).
 */
export function circuitEntries(): Array<{ id: string; model: string; layer: string; unit: number }> {
  const man = manifest();
  return man.circuits.map((c) => ({ ...c, model: c.model ?? man.models[0] }));
}

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
  const c = read(`circuits/${id}.json`, CircuitJson);
  const entry = circuitEntries().find((e) => e.id === id);
  // The manifest and the file must agree on whose circuit it is, or lookups by model would miss it.
  if (entry && entry.model !== c.model) throw new AtlasDataError(`Circuit "${id}": the manifest says model ${entry.model}, circuits/${id}.json says ${c.model}. Regenerate the atlas.`);
  return c;
}

/** Every generated circuit, or those of one model, in the manifest's order. */
export function circuits(modelId?: string): CircuitJson[] {
  return circuitEntries()
    .filter((c) => (modelId === undefined || c.model === modelId) && hasCircuit(c.id))
    .map((c) => circuit(c.id));
}

/** The id of the circuit graph rooted at a unit (by model, layer and unit), if one was generated. */
export function circuitIdOf(modelId: string, layerName: string, unitIndex: number): string | null {
  const c = circuitEntries().find((x) => x.model === modelId && x.layer === layerName && x.unit === unitIndex);
  return c && hasCircuit(c.id) ? c.id : null;
}

/** A model's profile description (the config that generated it); older manifests hold only the first model's. */
export function profileDescription(modelId: string): string {
  const man = manifest();
  return man.descriptions?.[modelId] ?? (modelId === man.models[0] ? man.description : model(modelId).description);
}

/** The featured unit ids of one model, in the manifest's order. */
export function featuredOf(modelId: string): string[] {
  return manifest().featured.filter((id) => id.split('/')[0] === modelId);
}

/** A unit's page, or null when it has none (ungenerated units, the image's channels). */
export function unitUrlIfAny(modelId: string, layerName: string, unitIndex: number): string | null {
  return hasUnit(modelId, layerName, unitIndex) ? url.unit(modelId, layerName, unitIndex) : null;
}

