// atlas.config: what to generate. Validated with zod, then checked against the model and the weights so
// that an unknown layer, a unit out of range or a layer the weights lack fails before any work.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AtlasError } from '../errors.ts';
import { BACKEND_CHOICES } from '../model/backend.ts';
import { DEVICE_CHOICES } from '../model/device.ts';
import { ENGINE_CHOICES } from '../model/load.ts';
import { findLayer, isUnitLayer, type ModelSpec, unitCount } from '../model/spec.ts';
import { missingLayersError } from '../model/weights-check.ts';
import { OPTIMIZERS } from '../optvis/adam.ts';
import { OBJECTIVES } from '../optvis/objectives.ts';
import { PARAMS } from '../optvis/parts.ts';
import { FULL_RECIPE, GRID_RECIPE, LR_SCHEDULES, MACO_RECIPE, type MacoSettings, MACO_SETTINGS, RECIPE_NAMES, type Recipe, TRANSFORM_SCALES } from '../optvis/recipes.ts';
import { TUNE_STIMULI } from '../stimuli/tuning.ts';

const unitList = z.union([z.literal('all'), z.array(z.number().int().nonnegative())]);
const objective = z.enum(OBJECTIVES);

/** The fields of a recipe, without defaults (so a partial override sets only what it names). */
const settingsShape = {
  size: z.number().int().min(16).max(1024),
  steps: z.number().int().positive(),
  lr: z.number().positive(),
  seed: z.number().int().nonnegative(),
  /** Images optimized together (one batch per job group). */
  batch: z.number().int().positive(),
  /** Learning rate over the steps: constant (Lucid) or cosine decay to lr / 10. */
  schedule: z.enum(LR_SCHEDULES),
  /** Lucid's transforms in its pixels ('lucid') or scaled to the image size ('scaled'); the Fourier parametrization's views. */
  transforms: z.enum(TRANSFORM_SCALES),
  /** The warp's pad in image pixels, instead of the transforms' own (the grid recipe pads 4). */
  pad: z.number().int().nonnegative().max(256),
  /** 'fourier' (Lucid's spectra) or 'maco' (Fel et al.'s phase under the dataset's magnitude spectrum; its views are crops). */
  param: z.enum(PARAMS),
  optimizer: z.enum(OPTIMIZERS),
  /** Optimize post-ReLU values instead of pre-ReLU ones (optvis/recipes.ts Recipe.relu); false is the default, so it is dropped. */
  relu: z.boolean(),
  /** MACO's crops, noise and importance map (param 'maco'); any field overrides MACO_SETTINGS. */
  maco: z
    .object({
      crops: z.number().int().min(1).max(32),
      box: z.tuple([z.number().positive().max(2), z.number().positive().max(2)]).refine(([a, b]) => a <= b, 'box: [smallest, largest] crop side, as fractions of the image'),
      noise: z.number().nonnegative(),
      input: z.number().int().min(16).max(1024),
      importance: z.number().min(0).max(100),
    })
    .partial()
    .strict(),
};
const PartialSettings = z.object(settingsShape).partial().strict();
type PartialSettings = z.output<typeof PartialSettings>;

/** A recipe with a partial override: MACO's block merged field by field, and present only for param 'maco'. */
export function withOverride<B extends Recipe>(base: B, v: PartialSettings): Omit<B, 'maco'> & Omit<PartialSettings, 'maco'> & { maco?: MacoSettings } {
  const { maco: _, ...rest } = { ...base, ...v };
  // relu: false is the default, left out so that it keys the same jobs as before the setting existed.
  if (!rest.relu) delete rest.relu;
  return rest.param === 'maco' ? { ...rest, maco: { ...MACO_SETTINGS, ...base.maco, ...v.maco } } : rest;
}

/** The full recipe's settings: Lucid's (optvis/recipes.ts FULL_RECIPE) where a field is not given. */
export const VisualizationSettings = PartialSettings.transform((v) => withOverride({ ...FULL_RECIPE, seed: 0 }, v));

/** The grid recipe's settings: the measured preset (GRID_RECIPE), any field overridable; seed: the visualization's unless set. */
const GridSettings = PartialSettings.transform((g) => withOverride(GRID_RECIPE, g));

/** The MACO recipe's settings (MACO_RECIPE), any field overridable; seed: the visualization's unless set. */
const MacoRecipeSettings = PartialSettings.transform((m) => withOverride(MACO_RECIPE, m));

export const AtlasConfig = z
  .object({
    /** Free text shown on the site: what this profile is for and why its settings. */
    description: z.string().default(''),
    model: z.string().default('vgg19'),
    /** Weights file; default: $ATLAS_MODELS_DIR/<model>/*.h5, else models/<model>/. */
    weights: z.string().optional(),
    /** Dataset folder; default: $ATLAS_DATASET_DIR. */
    dataset: z.string().optional(),
    /** Only the first N images of the dataset (small profiles). */
    datasetLimit: z.number().int().positive().optional(),
    out: z.string().default('generated'),
    engine: z.enum(ENGINE_CHOICES).default('auto'),
    backend: z.enum(BACKEND_CHOICES).default('auto'),
    /** Where onnxruntime runs: auto = CUDA when its provider loads, else the CPU (see model/device.ts). */
    device: z.enum(DEVICE_CHOICES).default('auto'),
    /** The full recipe (Lucid's): featured units, circuit inputs, layers with recipe 'full'. */
    visualization: VisualizationSettings.prefault({}),
    /** The grid recipe: layers with recipe 'grid' (seed: the visualization's unless set here). */
    grid: GridSettings.prefault({}),
    /** The MACO recipe: featured units and circuit inputs that ask for 'maco' (seed: the visualization's unless set here). */
    maco: MacoRecipeSettings.prefault({}),
    /** Per-unit overrides of the visualization settings, keyed "layer:unit". */
    overrides: z.record(z.string().regex(/^\w+:\d+$/), PartialSettings).default({}),
    examples: z.object({ top: z.number().int().positive().default(16) }).strict().default({ top: 16 }),
    /** Layers that get a layer atlas: dataset examples for every unit, feature vis for `visualize`. */
    layers: z
      .array(
        z
          .object({
            /** A layer, or EVERY_LAYER: each unit layer the weights hold that no other entry names (expandLayers). */
            layer: z.string(),
            visualize: unitList.default([]),
            objectives: z.array(objective).default(['channel']),
            /** 'grid': the cheap recipe (config.grid), for every unit of a layer; 'full': config.visualization. */
            recipe: z.enum(RECIPE_NAMES).default('full'),
          })
          .strict(),
      )
      .default([]),
    /** Featured units: feature visualizations with these objectives (default all four). */
    featured: z
      .array(
        z
          .object({
            layer: z.string(),
            unit: z.number().int().nonnegative(),
            objectives: z.array(objective).default([...OBJECTIVES]),
            /** The recipes each objective is rendered at: Lucid's ('full', config.visualization) and/or MACO's ('maco', config.maco). */
            recipes: z.array(z.enum(['full', 'maco'])).nonempty().default(['full']),
            /** Synthetic-stimulus tuning curves to measure (atlas tune), stored in the unit's data. */
            tuning: z.array(z.enum(TUNE_STIMULI)).default([]),
            /** Pose invariance on the unit's top dataset examples (atlas pose), stored in the unit's data. */
            pose: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
    /**
     * Generation budget in minutes (budget.ts): everything else always runs, then each layer atlas,
     * deepest first, only if its estimate here fits in what is left. null: no limit. Overridden by
     * `atlas generate --budget` and $ATLAS_BUDGET. `total`: minutes for `atlas run` as a whole (generation
     * and site build; rounds.ts): when the first round leaves layer-atlas units out and the build leaves
     * time, another round spends it.
     */
    budget: z
      .object({ minutes: z.number().positive(), total: z.number().positive().optional() })
      .strict()
      .refine((b) => b.total === undefined || b.total > b.minutes, { message: 'budget.total (the whole run: generation and site build) must be more than budget.minutes (generation alone)' })
      .nullable()
      .default(null),
    /** Circuits to expand: the unit's top-k inputs, recursively to `depth`; `visualizeInputs` renders the first level's inputs. */
    circuits: z
      .array(
        z
          .object({
            layer: z.string(),
            unit: z.number().int().nonnegative(),
            depth: z.number().int().min(0).max(4).default(2),
            top: z.number().int().min(1).max(64).default(10),
            rank: z.enum(['weight', 'attribution']).default('weight'),
            visualizeInputs: z.boolean().default(true),
            /** The recipes the visualized inputs get (their channel objective). */
            inputRecipes: z.array(z.enum(['full', 'maco'])).nonempty().default(['full']),
            /** Pose on dataset examples (atlas pose) for the unit and its direct inputs: is the invariance built here or inherited? */
            pose: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

export type AtlasConfig = z.infer<typeof AtlasConfig>;
export type PartialVisualizationSettings = PartialSettings;
export type VisualizationSettings = z.output<typeof VisualizationSettings>;

/** Identity helper for atlas.config.ts files (types and completion). */
export function defineConfig(config: z.input<typeof AtlasConfig>): z.input<typeof AtlasConfig> {
  return config;
}

function describeIssues(error: z.ZodError, file: string): string {
  return error.issues.map((i) => `  ${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n');
}

export function parseConfig(raw: unknown, file = 'config'): AtlasConfig {
  const r = AtlasConfig.safeParse(raw);
  if (!r.success) throw new AtlasError(`invalid configuration:\n${describeIssues(r.error, file)}`, 'see the README section "Configuration" for every field');
  return r.data;
}

/** Reads a config file anywhere on disk (see config-file.ts); relative paths in it are relative to the file. */
export async function loadConfig(file: string): Promise<{ config: AtlasConfig; file: string }> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new AtlasError(`config file not found: ${file}`, 'pass --config FILE (atlas.config.ts ships with the project)');
  const { readConfigFile } = await import('./config-file.ts');
  const config = parseConfig(await readConfigFile(abs), path.basename(abs));
  const dir = path.dirname(abs);
  const rel = (p?: string) => (p && !path.isAbsolute(p) ? path.resolve(dir, p) : p);
  return { config: { ...config, weights: rel(config.weights), dataset: rel(config.dataset), out: rel(config.out)! }, file: abs };
}

/**
 * `layer: '*'` in `layers`: every layer with units (conv layers; an imported model's logits) that the
 * weights hold, so one profile serves the full Keras file, the notop one and any prefix of them.
 */
export const EVERY_LAYER = '*';

/**
 * `config` with each EVERY_LAYER entry replaced by one entry per unit layer in `available`, in network
 * order, leaving out the layers another entry names (so an entry can give one layer its own settings).
 */
export function expandLayers(config: AtlasConfig, spec: ModelSpec, available: string[]): AtlasConfig {
  if (!config.layers.some((l) => l.layer === EVERY_LAYER)) return config;
  const named = new Set(config.layers.map((l) => l.layer));
  const every = spec.layers.filter((l) => isUnitLayer(l) && available.includes(l.name) && !named.has(l.name)).map((l) => l.name);
  return { ...config, layers: config.layers.flatMap((l) => (l.layer === EVERY_LAYER ? every.map((layer) => ({ ...l, layer })) : [l])) };
}

/** Checks every layer and unit against the model and the layers the weights hold. */
export function checkConfig(config: AtlasConfig, spec: ModelSpec, available: string[], file = 'config'): void {
  const problems: string[] = [];
  let hint: string | undefined;
  const unit = (where: string, layer: string, u?: number) => {
    const l = findLayer(spec, layer);
    if (!l) return problems.push(`${where}: unknown layer '${layer}' (${spec.id} has ${spec.layers.filter((x) => x.kind === 'conv').map((x) => x.name).join(', ')})`);
    const missing = missingLayersError(spec, available, [layer]);
    if (missing) {
      hint = missing.hint;
      return problems.push(`${where}: ${missing.message}`);
    }
    if (!isUnitLayer(l)) return problems.push(`${where}: ${layer} is a ${l.kind} layer; the atlas shows conv layers (and an imported model's logits)`);
    if (u !== undefined && u >= unitCount(l)) problems.push(`${where}: unit ${u} out of range for ${layer} (units 0..${unitCount(l) - 1})`);
  };
  config.layers.forEach((l, i) => {
    if (l.layer === EVERY_LAYER) {
      // Its layers' unit counts differ, so a unit list cannot apply to them all.
      if (Array.isArray(l.visualize) && l.visualize.length) problems.push(`layers[${i}]: layer '${EVERY_LAYER}' (every layer the weights hold) takes visualize 'all' or none, not a unit list; name the layer to visualize some of its units`);
      return;
    }
    unit(`layers[${i}]`, l.layer);
    if (Array.isArray(l.visualize)) l.visualize.forEach((u) => unit(`layers[${i}].visualize`, l.layer, u));
  });
  config.featured.forEach((f, i) => unit(`featured[${i}]`, f.layer, f.unit));
  config.circuits.forEach((c, i) => unit(`circuits[${i}]`, c.layer, c.unit));
  for (const key of Object.keys(config.overrides)) {
    const [layer, u] = key.split(':');
    unit(`overrides["${key}"]`, layer, Number(u));
  }
  const noDataset = !config.dataset && !process.env.ATLAS_DATASET_DIR;
  if (config.circuits.some((c) => c.rank === 'attribution') && noDataset) {
    problems.push('circuits: rank "attribution" needs a dataset (set "dataset" or ATLAS_DATASET_DIR)');
  }
  const macoUsers = [...config.featured.filter((f) => f.recipes.includes('maco')), ...config.circuits.filter((c) => c.visualizeInputs && c.inputRecipes.includes('maco'))];
  if ((macoUsers.length || config.layers.some((l) => l.recipe === 'maco')) && noDataset) {
    problems.push("recipe 'maco' needs a dataset for its magnitude spectrum (set \"dataset\" or ATLAS_DATASET_DIR)");
  }
  if (problems.length) throw new AtlasError(`invalid configuration ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`, hint);
}
