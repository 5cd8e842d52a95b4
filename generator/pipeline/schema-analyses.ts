// The schemas of a unit's analyses beyond its pictures and examples: what drives a class, its tuning
// to synthetic stimuli, and its pose on dataset examples. Part of the generated/ layout (schema.ts re-exports them; read through it).
import { z } from 'zod';
import { POSES } from '../stimuli/pose-names.ts';
import { TUNE_STIMULI } from '../stimuli/tuning-result.ts';

const num = z.number();
const index = num.nullable().optional();

/** A unit before the head's conv: its weight into the class's map (a 1x1 kernel's one number, else the kernel's sum). */
const driver = z.object({ layer: z.string(), unit: num, weight: num });
const attributed = driver.extend({ attribution: num });

/**
 * What drives a class (a unit of the logits layer): the units before the head's conv by weight,
 * and by attribution over the class's dataset images (generator/circuit/class-drivers.ts).
 */
export const ClassDriversJson = z.object({
  /** The class (the classifier's class index entry). */
  class: z.object({ wnid: z.string(), label: z.string() }),
  /** The head's conv, whose unit c is class c's map, and the layer its inputs come from. */
  head: z.string(),
  source: z.string(),
  weight: z.object({ excitatory: z.array(driver), inhibitory: z.array(driver) }),
  attribution: z
    .object({
      excitatory: z.array(attributed),
      inhibitory: z.array(attributed),
      /** The class's dataset images (relative paths), the mean logit over them and the gated bias's share of it. */
      images: z.array(z.string()),
      logit: num,
      bias: num,
      dataset: z.string(),
    })
    .nullable(),
});
export type ClassDriversJson = z.infer<typeof ClassDriversJson>;

/**
 * A tuning result (generator/stimuli/tuning.ts TuneResult; the site reads it through this schema too).
 * What the site draws is required; the grids, discs and probe pass through.
 */
export const TuningJson = z
  .object({
    layer: z.string(),
    unit: num,
    stimulus: z.enum(TUNE_STIMULI),
    orientation: z.object({ angles: z.array(num), pre: z.array(num), post: z.array(num), stimulus: z.record(z.string(), z.unknown()) }).passthrough(),
    aspect: z
      .object({ radius: num, width: num, ellipseSize: z.enum(['major', 'area']), aspects: z.array(num), angles: z.array(num), pre: z.array(num), post: z.array(num) })
      .passthrough()
      .optional(),
    summary: z
      .object({
        preferred: z.record(z.string(), z.unknown()),
        response: z.object({ pre: num, post: num }),
        preferredOrientation: num.nullable(),
        orientationPeriod: z.union([z.literal(180), z.literal(360)]),
        orientationSelectivity: num.nullable(),
        rotationInvariance: num.nullable(),
        circleVsEllipse: index,
        circleVsArc: index,
        ringVsDisc: index,
        curveVsLine: index,
      })
      .passthrough(),
  })
  .passthrough();

export type TuningJson = z.infer<typeof TuningJson>;

/**
 * Pose invariance on the unit's top dataset examples (generator/stimuli/pose.ts PoseResult): each turned
 * and mirrored about its field's centre. `crop` (added by assemble) is the example's receptive-field crop.
 */
export const PoseJson = z.object({
  window: num,
  poses: z.array(z.enum(POSES)),
  examples: z.array(z.object({ image: z.string(), x: num, y: num, dataset: num, post: z.array(num), crop: z.string().optional() })),
  retained: z.record(z.enum(POSES), num),
  weakest: num,
  reproduced: num,
  /** Top examples left out: their field runs past the photo's edge (absent in files of an older generator). */
  edge: z.number().int().nonnegative().optional(),
  /**
   * Where the unit fires in its first top photos (generator/heatmap.ts): `file`, a strip of `tile`-px maps
   * side by side, one per example, each with its peak (x, y), value and share of positions above zero.
   */
  where: z
    .object({ file: z.string(), tile: num, examples: z.array(z.object({ image: z.string(), x: num, y: num, max: num, active: num })) })
    .optional(),
});
export type PoseJson = z.infer<typeof PoseJson>;
