// The dataset stage's public types: what examplesForLayers() returns and `atlas examples --json` prints.
// These shapes are a contract (README, CLI table); change them only with a schema bump.
import type { LoadOptions } from '../model/load.ts';

export interface ExamplesOptions {
  model?: LoadOptions;
  /** Dataset folder or CSV manifest; default $ATLAS_DATASET_DIR. */
  dataset?: string;
  /** Spatial layers (conv or pool), all computed in one pass. */
  layers: string[];
  /** Top and bottom examples kept per unit (default 16). */
  top?: number;
  /** Output folder: crops under <out>/<model>/<layer>/crops/ (results.ts cropPath), cache under <out>/.cache/. */
  out: string;
  /** Worker threads (default: one per core, or $ATLAS_WORKERS). */
  workers?: number;
  /** No progress bars and no warnings on stderr (the skipped files are still in the result). */
  quiet?: boolean;
  /** Only the first N images in sorted order (small profiles, tests). */
  imageLimit?: number;
  /** Only N images spread evenly over the sorted list (source.ts `spread`): a quick run that spans the classes. */
  imageSample?: number;
  /** Called after each image of the dataset pass with the count so far (progress for logs). */
  onImage?: (done: number) => void;
  /**
   * Only these units' crops, added to what the folder holds: an ad-hoc run (the CLI, attribution) beside the
   * pipeline's output must neither remove its crops nor write thousands it does not need. Default: every
   * unit's, and the folder then holds exactly those (the pipeline's examples stage).
   */
  cropUnits?: readonly number[];
  /** Called as each layer's crops are written (images done of total): the long tail after the pass on wide layers. */
  onCrops?: (layer: string, done: number, total: number) => void;
}

export interface Example {
  /** Path relative to the dataset root, '/'-separated. */
  image: string;
  /** WNID, or for a class outside the class index its folder (or CSV) name. */
  class: string;
  label: string;
  /**
   * What the list ranks by: in `top` and `bottom` the unit's post-ReLU max over positions in this image
   * (> 0: silent images are in no list); in `negative` its pre-ReLU min over positions.
   */
  activation: number;
  /** Grid position of that max (or min) in the layer's (x, y) grid; the first in row-major order on a tie. */
  x: number;
  y: number;
  /** Receptive-field crop (WebP), relative to the output folder. */
  crop: string;
}

export interface ClassSummary {
  /** As Example.class. */
  wnid: string;
  label: string;
  /** Mean and max over the class's images of the unit's per-image max. */
  mean: number;
  max: number;
  /** How many of the dataset's images are of this class (1 in the 1,000-image sample: mean = max = that image's). */
  images: number;
}

export interface Skipped {
  file: string;
  reason: string;
}

export interface UnitExamples {
  layer: string;
  unit: number;
  /** Highest per-image post-ReLU max first; ties by image path. Only images the unit fires on (max > 0). */
  top: Example[];
  /** Lowest per-image post-ReLU max first, among the images the unit fires on (max > 0); ties by image path. */
  bottom: Example[];
  /**
   * Lowest per-image pre-ReLU min first (most negative), at the min's position; ties by image path. What
   * suppresses the unit, beside the negative feature visualization. Empty for a layer without a ReLU (pool).
   */
  negative: Example[];
  /** The 10 classes with the highest mean. */
  classes: ClassSummary[];
  /** Of the per-image max over the dataset: edges.length === counts.length + 1, bins [edges[i], edges[i+1]). */
  histogram: { edges: number[]; counts: number[] };
  /** Fraction of images whose max is > 0. */
  firing_rate: number;
  /**
   * Mean over images of the fraction of positions where the unit is > 0: how much of an image it covers
   * (block3 units fire somewhere on nearly every image, so firing_rate alone says little there).
   */
  position_rate: number;
  /** Images on which the unit is silent (post-ReLU max 0 everywhere): in the histogram, in no list. */
  silent: number;
  images: number;
  skipped: Skipped[];
}

export interface LayerExamples {
  layer: string;
  /** Images that went through the network (skipped ones excluded). */
  images: number;
  skipped: Skipped[];
  units: UnitExamples[];
}
