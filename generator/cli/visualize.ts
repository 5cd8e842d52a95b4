import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { AtlasError } from '../errors.ts';
import { OPTIMIZERS, type OptimizerName } from '../optvis/adam.ts';
import { macoMagnitude } from '../optvis/maco-spectrum.ts';
import { OBJECTIVES, type ObjectiveName, optimizesPostRelu } from '../optvis/objectives.ts';
import { type ParamName, PARAMS } from '../optvis/parts.ts';
import { LR_SCHEDULES, type LrSchedule, MACO_SETTINGS, type Recipe, RECIPE_NAMES, type RecipeName, RECIPES, TRANSFORM_SCALES, type TransformScale, transformsOf } from '../optvis/recipes.ts';
import { imageFileName, visualize, writeImages, writeImportance } from '../optvis/visualize.ts';
import { writeFileAtomic } from '../fsutil.ts';
import { getSpec } from '../model/load.ts';
import { receptiveFields } from '../model/spec.ts';
import { addModelOptions, loadOptions, log, type ModelFlags, printJson } from './common.ts';
import { nonNegativeInt, positiveInt, positiveNumber, unitList } from './parse.ts';
import { progressBar } from '../progress-bar.ts';

/** Each recipe's own value of a setting, for the help ("full 512, grid 112, maco 256"): never restated by hand. */
const perRecipe = (of: (r: Recipe) => string | number): string => RECIPE_NAMES.map((n) => `${n} ${of(RECIPES[n])}`).join(', ');

interface Flags extends ModelFlags {
  layer: string;
  unit: number[];
  objective: ObjectiveName;
  recipe: RecipeName;
  size?: number;
  steps?: number;
  lr?: number;
  schedule?: LrSchedule;
  transforms?: TransformScale;
  pad?: number;
  param?: ParamName;
  optimizer?: OptimizerName;
  dataset?: string;
  seed: number;
  out: string;
  json?: boolean;
  workers?: number;
  batch?: number;
  postRelu?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    program
      .command('visualize')
      .description("feature visualization: the image that excites a unit most (Lucid's Fourier + decorrelated colour + transforms, Adam; or MACO's phase + crops, NAdam)")
      .requiredOption('--layer <name>', 'conv layer, e.g. block3_conv4')
      .requiredOption('--unit <units>', 'unit(s): 8, or 0-15, or 3,5,8', unitList)
      .addOption(new Option('--objective <name>', 'what to optimize').choices([...OBJECTIVES]).default('channel'))
      .addOption(
        new Option('--recipe <name>', `settings preset: full = Lucid's ${RECIPES.full.size} px x ${RECIPES.full.steps} steps, grid = the layer atlases' cheap one, maco = Fel et al.'s MACO at ${RECIPES.maco.size} px (README)`)
          .choices([...RECIPE_NAMES])
          .default('full'),
      )
      .addOption(new Option('--param <name>', "parametrization: Lucid's Fourier spectra or MACO's phase with the dataset's magnitude spectrum and its crops (default: the recipe's)").choices([...PARAMS]))
      .addOption(new Option('--optimizer <name>', "default: the recipe's (adam; maco: nadam)").choices([...OPTIMIZERS]))
      .option('--dataset <dir>', "MACO's magnitude spectrum comes from this image folder (default $ATLAS_DATASET_DIR); cached in <out>/.cache")
      .option('--size <px>', `image side (default: the recipe's: ${perRecipe((r) => r.size)})`, positiveInt)
      .option('--steps <n>', `optimization steps (default: the recipe's: ${perRecipe((r) => r.steps)})`, positiveInt)
      .option('--lr <rate>', `learning rate (default: the recipe's: ${perRecipe((r) => r.lr)})`, positiveNumber)
      .addOption(new Option('--schedule <name>', `learning rate over the steps (default: the recipe's: ${perRecipe((r) => r.schedule)})`).choices([...LR_SCHEDULES]))
      .addOption(new Option('--transforms <scale>', "Lucid's transforms in its pixels or scaled to --size (default: the recipe's)").choices([...TRANSFORM_SCALES]))
      .option('--pad <px>', `the transforms' pad in image pixels (default: the recipe's: ${perRecipe((r) => r.pad ?? "the transforms' own")}; Lucid's is 12 at 128 px)`, nonNegativeInt)
      .option('--seed <n>', 'random seed (init and transforms)', nonNegativeInt, 0)
      .option('--out <dir>', 'where the PNGs go, each unit with a JSON record of its settings and result (<layer>_<unit>_<objective>.json)', '.')
      .option('--workers <n>', 'worker threads (default: one per core; 1 = in process)', positiveInt)
      .option('--batch <n>', `images optimized together per worker (default: the recipe's: ${perRecipe((r) => r.batch)})`, positiveInt)
      .option('--post-relu', "optimize post-ReLU values (default: the recipe's: post-ReLU for grid, pre-ReLU for full and maco)")
      .option('--no-post-relu', 'optimize pre-ReLU values')
      .option('--json', 'print one JSON object per unit (array)'),
  ).action(async (flags: Flags) => {
    const bar = progressBar('visualize', { unit: 'steps' });
    const model = loadOptions(flags);
    const t0 = performance.now();
    const r = RECIPES[flags.recipe];
    if (flags.postRelu && !optimizesPostRelu(flags.objective, true)) {
      throw new AtlasError(`--post-relu with --objective ${flags.objective}: it applies to channel and neuron only (post-ReLU, an off unit gives no gradient; negative would not move, a silent diversity image would stay grey)`, 'drop --post-relu');
    }
    const relu = optimizesPostRelu(flags.objective, flags.postRelu ?? r.relu);
    const settings = { size: flags.size ?? r.size, steps: flags.steps ?? r.steps, lr: flags.lr ?? r.lr, schedule: flags.schedule ?? r.schedule, transforms: flags.transforms ?? r.transforms, pad: flags.pad ?? r.pad };
    const param = flags.param ?? r.param;
    // An image smaller than the unit's receptive field cuts it: legal (its centre still sees a crop of the
    // pattern), rarely meant. Said before any work; an unknown layer is left to the one layer check.
    const rf = receptiveFields(getSpec(flags.model)).get(flags.layer);
    if (rf && settings.size < rf.size) log(`warning: a ${settings.size} px image is smaller than ${flags.layer}'s ${rf.size} px receptive field: each unit sees only part of its pattern`);
    const optimizer = flags.optimizer ?? r.optimizer;
    // MACO on another recipe keeps that recipe's size, steps and rate, with MACO's crops.
    const maco = param === 'maco' ? (r.maco ?? MACO_SETTINGS) : undefined;
    let magnitude: Float32Array | undefined;
    if (maco) {
      const { datasetDigest, openDataset, resolveDatasetPath } = await import('../dataset/source.ts');
      const ds = openDataset(resolveDatasetPath(flags.dataset), { warn: (m) => log(`warning: ${m}`) });
      const images = progressBar('MACO magnitude spectrum', { unit: 'images' });
      const spectrum = await macoMagnitude(flags.out, { digest: await datasetDigest(ds), files: ds.images.map((im) => im.file) }, settings.size, (d, t) => images.update(d, t));
      images.stop();
      log(`MACO magnitude spectrum at ${settings.size} px: ${spectrum.cached ? 'cached' : 'computed'} from ${spectrum.images} images of ${ds.root}`);
      magnitude = spectrum.magnitude;
    }
    const results = await visualize({
      model,
      layer: flags.layer,
      units: flags.unit,
      objective: flags.objective,
      ...settings,
      transforms: transformsOf(settings),
      seed: flags.seed,
      batch: flags.batch ?? r.batch,
      workers: flags.workers,
      objectiveOptions: { relu },
      optimizer,
      ...(maco ? { param: 'maco' as const, magnitude, crops: maco, importance: maco.importance } : {}),
      onProgress: (d, t) => bar.update(d, t),
    });
    bar.stop();
    const out = [];
    // In the order the units were given (a circuit's rank order, say), not the batches'.
    const order = new Map(flags.unit.map((u, i) => [u, i]));
    const given = [...results].sort((a, b) => (order.get(a.unit)! - order.get(b.unit)!));
    for (const v of given) {
      const record = path.join(flags.out, imageFileName(v, 0).replace(/(_0)?\.png$/, '.json'));
      const before = earlierRun(record, path.join(flags.out, imageFileName(v, 0)));
      const files = await writeImages(v, flags.out);
      const importance = await writeImportance(v, flags.out);
      out.push({
        model: flags.model,
        layer: v.layer,
        unit: v.unit,
        objective: v.objective,
        size: v.size,
        steps: v.steps,
        lr: settings.lr,
        schedule: settings.schedule,
        transforms: settings.transforms,
        ...(settings.pad === undefined ? {} : { pad: settings.pad }),
        param,
        optimizer,
        ...(maco ? { maco } : {}),
        ...(relu ? { relu: true } : {}),
        seed: v.seed,
        activation: v.activation,
        curve: v.curve,
        seconds: v.seconds,
        batch: v.batch,
        imageModel: v.imageModel,
        files: files.map((f) => path.relative(flags.out, f)),
        ...(maco ? { importance: importance.map((f) => path.relative(flags.out, f)) } : {}),
        images: v.images.map((im) => ({ index: im.index, activation: im.activation })),
      });
      const now = out[out.length - 1];
      if (before !== null && before !== settingsText(now)) log(`warning: replaced ${path.join(flags.out, now.files[0])}${files.length > 1 ? ' etc.' : ''}, made by an earlier run (${before}), with this one's (${settingsText(now)}); another --out keeps both`);
      // The settings travel with the image: a PNG alone does not say which recipe made it.
      writeFileAtomic(record, `${JSON.stringify(now, null, 1)}\n`);
    }
    if (flags.json) return printJson(out);
    for (const o of out) {
      const pre = o.activation.pre;
      console.log(
        `${o.layer}:${o.unit} ${o.objective}: mean ${o.activation.mean.toFixed(2)}, max ${o.activation.max.toFixed(2)} (pre-ReLU mean ${pre.mean.toFixed(2)}, min ${pre.min.toFixed(2)}) -> ${o.files.join(', ')}`,
      );
    }
    log(`${results.length} unit(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
}

interface RunSettings {
  model?: string;
  size: number;
  steps: number;
  lr: number;
  schedule: string;
  param: string;
  relu?: boolean;
  seed: number;
}

/** The settings that make an image what it is, in words (compared to tell an earlier run's from this one's). */
function settingsText(r: RunSettings): string {
  return `${r.model ?? 'vgg19'}, ${r.size} px, ${r.steps} steps, lr ${r.lr} ${r.schedule}, ${r.param}, ${r.relu ? 'post' : 'pre'}-ReLU, seed ${r.seed}`;
}

/** The settings of the run whose image is about to be replaced, 'settings unknown' without its record, null when there is none. */
function earlierRun(record: string, png: string): string | null {
  if (existsSync(record)) {
    try {
      return settingsText(JSON.parse(readFileSync(record, 'utf8')) as RunSettings);
    } catch {
      return 'its record unreadable';
    }
  }
  return existsSync(png) ? 'settings unknown: no record beside it' : null;
}
