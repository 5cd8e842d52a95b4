// The generated/ data layout, as zod schemas: the generator writes these files, the site (src/lib/atlas.ts)
// and anyone building on the published /data JSON read them. Every file carries "schema": SCHEMA and is
// validated when read, so an old or foreign file fails loudly. Paths inside are relative to generated/.
import { z } from 'zod';
import { ClassDriversJson, PoseJson, TuningJson } from './schema-analyses.ts';
import { SCHEMA } from './schema-version.ts';

export { ClassDriversJson, PoseJson, TuningJson } from './schema-analyses.ts';
export { SCHEMA };

const stats = z.object({ mean: z.number(), max: z.number() });

/** A visualization's recipe: 'full' (Lucid's, config.visualization), 'grid' (the cheap layer-atlas one, config.grid) or 'maco' (config.maco). */
const Recipe = z.enum(['full', 'grid', 'maco']);

export const Provenance = z.object({
  stage: z.string(),
  /** Content hash of everything the output depends on (see pipeline/jobs.ts). */
  hash: z.string(),
  weights: z.object({ file: z.string(), sha256: z.string() }),
  dataset: z.object({ root: z.string(), digest: z.string(), images: z.number() }).optional(),
  engine: z.string(),
  settings: z.record(z.string(), z.unknown()),
  versions: z.record(z.string(), z.string()),
});
export type Provenance = z.infer<typeof Provenance>;

/**
 * Pre-ReLU values of the unit on a result (what the objectives optimize): channel mean, min, max, and the
 * centre position. Optional only so that files of an older generator (fv stage version < 4) still read.
 */
const pre = z.object({ mean: z.number(), min: z.number(), max: z.number(), centre: z.number() });

/** MACO's own settings (optvis/recipes.ts MacoSettings): its crops, their noise, its importance map's percentile. */
const macoSettings = z.object({
  /** Crops per image each step, each a square of side box[0]..box[1] of the image, resized to `input` px. */
  crops: z.number(),
  box: z.tuple([z.number(), z.number()]),
  /** Gaussian and uniform noise on the crops, in (0, 1) pixel units. */
  noise: z.number(),
  input: z.number(),
  /** The importance maps are clipped at this percentile, then divided by their max. */
  importance: z.number(),
});

export const FvEntry = z.object({
  objective: z.enum(['channel', 'neuron', 'negative', 'diversity']),
  recipe: Recipe.default('full'),
  images: z.array(
    z.object({
      file: z.string(),
      activation: stats.extend({ pre: pre.optional() }),
      /** MACO: the image's importance map, an 8-bit grayscale PNG of the image's size (alpha: 0 = unimportant, 255 = the clipped max). */
      importance: z.string().optional(),
    }),
  ),
  /**
   * Post-ReLU mean/max of the unit on the final image(s), averaged over a diversity set; `pre` the
   * pre-ReLU values, with `pre.curve` the pre-ReLU channel mean every 16 steps (as `curve`).
   */
  activation: stats.extend({ pre: pre.extend({ curve: z.array(z.number()) }).optional() }),
  /** Post-ReLU channel mean on the untransformed image every 16 steps. */
  curve: z.array(z.number()),
  settings: z.object({
    size: z.number(),
    steps: z.number(),
    lr: z.number(),
    seed: z.number(),
    schedule: z.enum(['constant', 'cosine']).default('constant'),
    /** Lucid's warp (the Fourier parametrization's views; unused by MACO, whose views are its crops). */
    transforms: z.enum(['lucid', 'scaled']).default('lucid'),
    /** The warp's pad in image pixels when not the transforms' own (absent: Lucid's 12, or 12 scaled to the size). */
    pad: z.number().int().nonnegative().optional(),
    /** The parametrization: Lucid's Fourier spectra, or MACO's phase under the dataset's magnitude spectrum. */
    param: z.enum(['fourier', 'maco']).default('fourier'),
    optimizer: z.enum(['adam', 'nadam']).default('adam'),
    maco: macoSettings.optional(),
    /** true: the objective read the post-ReLU activation (`activation.mean`, `curve`); absent: the pre-ReLU one (`activation.pre`). */
    relu: z.boolean().optional(),
  }),
  provenance: Provenance,
});
export type FvEntry = z.infer<typeof FvEntry>;

const example = z.object({
  image: z.string(),
  /** URL path of the full image as published (relative to generated/). */
  full: z.string(),
  class: z.string(),
  label: z.string(),
  activation: z.number(),
  x: z.number(),
  y: z.number(),
  crop: z.string(),
  /** The receptive field at (x, y) in input pixels, clipped to the image: the crop's box (absent in files of an older generator). */
  field: z.object({ left: z.number(), top: z.number(), width: z.number(), height: z.number() }).optional(),
  /** The receptive field runs past the photo's edge: the crop is clipped, part of what the unit saw was padding (absent in files of an older generator). */
  edge: z.boolean().optional(),
});

export const UnitExamplesJson = z.object({
  /** By the post-ReLU max over positions, highest first; only images the unit fires on. */
  top: z.array(example),
  /** By the post-ReLU max over positions, lowest first; only images the unit fires on (silent ones: `silent`). */
  bottom: z.array(example),
  /** By the pre-ReLU min over positions, lowest first, at the min's position; empty for a pool layer. */
  negative: z.array(example),
  // images: absent in files of an older generator.
  classes: z.array(z.object({ wnid: z.string(), label: z.string(), mean: z.number(), max: z.number(), images: z.number().int().positive().optional() })),
  histogram: z.object({ edges: z.array(z.number()), counts: z.array(z.number()) }),
  firing_rate: z.number(),
  /** Mean over images of the share of positions where it is > 0 (absent in files of an older generator). */
  position_rate: z.number().min(0).max(1).optional(),
  /** Images on which the unit is silent (post-ReLU max 0): in no list, since their max has no position. */
  silent: z.number(),
  images: z.number(),
  skipped: z.number(),
});

/** scale, on an output: the target unit's largest input |w|, the colour scale of the kernel on its page (absent in older files). */
const connection = z
  .object({
    layer: z.string(),
    unit: z.number(),
    l2: z.number(),
    sum: z.number(),
    max: z.number(),
    sign: z.enum(['excitatory', 'inhibitory']),
    kernel: z.array(z.array(z.number())),
    scale: z.number().positive().optional(),
  })
  .passthrough();

export const UnitCircuitJson = z
  .object({
    source: z.string(),
    target: z.string().nullable(),
    rank: z.enum(['weight', 'attribution']),
    inputs: z.array(connection),
    excitatory: z.array(connection),
    inhibitory: z.array(connection),
    outputs: z.array(connection),
    outputsNote: z.string().optional(),
    /** Largest |w| over all of the unit's input kernels: the scale of its kernel pictures. */
    maxAbs: z.number(),
  })
  .passthrough();

/**
 * A unit's picture for grids, lists and graph nodes: a small WebP (`<unit>/thumb.webp`) of its full-recipe
 * channel visualization, else of its grid one (`recipe`), else its top dataset crop (kind 'example').
 */
export const Thumbnail = z.object({
  kind: z.enum(['fv', 'example', 'input']),
  file: z.string(),
  /** Which visualization the picture shows (kind 'fv'): the full recipe's when the unit has one, else the grid's, else MACO's. */
  recipe: Recipe.optional(),
  /** Its side in px, when the generator knows it. */
  size: z.number().optional(),
});

export const UnitJson = z.object({
  schema: z.literal(SCHEMA),
  id: z.string(),
  model: z.string(),
  layer: z.string(),
  unit: z.number(),
  thumbnail: Thumbnail.nullable(),
  /** Full-recipe feature visualizations by objective. */
  fv: z.record(z.string(), FvEntry),
  /** Grid-recipe feature visualizations by objective (layer atlases), beside the full ones when both exist. */
  grid: z.record(z.string(), FvEntry).default({}),
  /** MACO feature visualizations by objective (featured units and circuit inputs that ask for them). */
  maco: z.record(z.string(), FvEntry).default({}),
  examples: UnitExamplesJson.nullable(),
  circuit: UnitCircuitJson.nullable(),
  /** Synthetic-stimulus tuning curves by stimulus (generator/stimuli/tuning.ts TuneResult), when generated. */
  tuning: z.record(z.string(), TuningJson).optional(),
  /** Pose invariance on its top dataset examples (generator/stimuli/pose.ts), when generated. */
  pose: PoseJson.optional(),
  /** For a class of the logits layer: the units that drive it most. */
  drivers: ClassDriversJson.optional(),
  /** Per recipe with a channel image: its max over positions / the top dataset example's activation (pipeline/versus-dataset.ts). */
  versusDataset: z.partialRecord(Recipe, z.number()).default({}),
});
export type UnitJson = z.infer<typeof UnitJson>;

export const LayerJson = z.object({
  schema: z.literal(SCHEMA),
  model: z.string(),
  layer: z.string(),
  shape: z.array(z.number()),
  rf: z.object({ size: z.number(), stride: z.number(), offset: z.number() }),
  units: z.array(
    z.object({
      unit: z.number(),
      thumbnail: Thumbnail.nullable(),
      topClasses: z.array(z.object({ wnid: z.string(), label: z.string() })),
      firing_rate: z.number().nullable(),
      fv: z.array(z.string()),
      /** Objectives with a grid-recipe visualization. */
      grid: z.array(z.string()).default([]),
      /** Objectives with a MACO visualization. */
      maco: z.array(z.string()).default([]),
      /** The top dataset crop (shown on hover and by the layer page's toggle), or null. */
      crop: z.string().nullable().default(null),
    }),
  ),
  /** Layer atlases a generation budget left out (budget.ts): units rendered so far (a head start, earlier runs), its estimate here, and what was left of the budget. */
  omitted: z.array(z.object({ recipe: z.string(), units: z.number(), rendered: z.number(), pending: z.number(), headStart: z.number(), estimateMinutes: z.number(), neededMinutes: z.number(), leftMinutes: z.number(), budgetMinutes: z.number() })).default([]),
  /** Per recipe: on how many units the channel image beats the top dataset example, and the ratios' spread (pipeline/versus-dataset.ts). */
  versusDataset: z
    .array(z.object({ recipe: Recipe, units: z.number(), above: z.number(), min: z.number(), median: z.number(), max: z.number() }))
    .default([]),
});
export type LayerJson = z.infer<typeof LayerJson>;

export const ModelJson = z.object({
  schema: z.literal(SCHEMA),
  id: z.string(),
  name: z.string(),
  description: z.string(),
  /** Side in px of the network input: layer shapes are for it, and the published full dataset images have it. */
  inputSize: z.number().int().positive(),
  layers: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      shape: z.array(z.number()),
      params: z.number(),
      rf: z.object({ size: z.number(), stride: z.number(), offset: z.number() }).nullable(),
      available: z.boolean(),
      generated: z.object({ units: z.number(), fv: z.number(), grid: z.number().default(0), maco: z.number().default(0), examples: z.number() }),
    }),
  ),
  classification: z.object({
    available: z.boolean(),
    reason: z.string().optional(),
    /** When the weights lack the classifier head: its layers they lack, and the weights file (absent in files of an older generator). */
    missing: z.array(z.string()).optional(),
    weights: z.string().optional(),
    results: z.array(z.object({ image: z.string(), full: z.string(), top: z.array(z.object({ wnid: z.string(), label: z.string(), probability: z.number() })) })).optional(),
    /** Top-1 / top-5 over every dataset image of a known class (model/accuracy.ts), with the dataset it was measured on. */
    accuracy: z
      .object({ dataset: z.string(), digest: z.string(), images: z.number(), unscored: z.number(), top1: z.number(), top5: z.number(), misses: z.array(z.object({ image: z.string(), rank: z.number() })) })
      .optional(),
  }),
  provenance: z.object({
    weights: z.object({ file: z.string(), sha256: z.string() }),
    dataset: z.object({ root: z.string(), digest: z.string(), images: z.number(), skipped: z.number() }).nullable(),
    engine: z.string(),
    backend: z.string(),
    visualization: z.record(z.string(), z.unknown()),
    versions: z.record(z.string(), z.string()),
  }),
});
export type ModelJson = z.infer<typeof ModelJson>;

export const CircuitJson = z.object({
  schema: z.literal(SCHEMA),
  id: z.string(),
  model: z.string(),
  layer: z.string(),
  unit: z.number(),
  depth: z.number(),
  top: z.number(),
  rank: z.enum(['weight', 'attribution']),
  /**
   * minTop: the smallest top-k whose graph holds the node; inputScale: for a unit whose inputs the graph
   * follows, the largest |w| over all its input kernels (generator/circuit/graph.ts; absent in older files).
   */
  nodes: z.array(
    z
      .object({ id: z.string(), layer: z.string(), unit: z.number(), depth: z.number(), minTop: z.number().int().positive(), inputScale: z.number().positive().optional(), thumbnail: Thumbnail.nullable() })
      .passthrough(),
  ),
  /** rank: the source's rank among the target's inputs by L2 (1 = strongest). */
  edges: z.array(
    z
      .object({
        source: z.string(),
        target: z.string(),
        l2: z.number(),
        sum: z.number(),
        sign: z.enum(['excitatory', 'inhibitory']),
        kernel: z.array(z.array(z.number())),
        rank: z.number().int().positive(),
      })
      .passthrough(),
  ),
  /** Largest |w| over the edges' kernels (the kernels' scale where a target has no inputScale). */
  maxAbs: z.number(),
});
export type CircuitJson = z.infer<typeof CircuitJson>;

export const Manifest = z.object({
  schema: z.literal(SCHEMA),
  /** The first model's profile description (the site's). */
  description: z.string(),
  /** Each model's profile description. */
  descriptions: z.record(z.string(), z.string()).optional(),
  models: z.array(z.string()),
  featured: z.array(z.string()),
  circuits: z.array(z.object({ id: z.string(), model: z.string().optional(), layer: z.string(), unit: z.number() })),
});
export type Manifest = z.infer<typeof Manifest>;

/** Not content-addressed (times and dates): what the last run did. */
export const RunJson = z.object({
  schema: z.literal(SCHEMA),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** The model this run generated (a folder may hold several). */
  model: z.string().optional(),
  jobs: z.object({ run: z.number(), skipped: z.number() }),
  stages: z.record(z.string(), z.number()),
  engine: z.string(),
  backend: z.string(),
});
export type RunJson = z.infer<typeof RunJson>;
