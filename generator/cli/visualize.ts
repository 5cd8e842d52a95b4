import path from 'node:path';
import { type Command, Option } from 'commander';
import { OBJECTIVES, type ObjectiveName } from '../optvis/objectives.ts';
import { DEFAULT_BATCH, visualize, writeImages } from '../optvis/visualize.ts';
import { addModelOptions, loadOptions, log, type ModelFlags, printJson } from './common.ts';
import { nonNegativeInt, positiveInt, positiveNumber, unitList } from './parse.ts';
import { progressBar } from './progress.ts';

interface Flags extends ModelFlags {
  layer: string;
  unit: number[];
  objective: ObjectiveName;
  size: number;
  steps: number;
  lr: number;
  seed: number;
  out: string;
  json?: boolean;
  workers?: number;
  batch: number;
  postRelu?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    program
      .command('visualize')
      .description('feature visualization: the image that excites a unit most (Fourier + decorrelated colour + transforms, Adam)')
      .requiredOption('--layer <name>', 'conv layer, e.g. block3_conv4')
      .requiredOption('--unit <units>', 'unit(s): 8, or 0-15, or 3,5,8', unitList)
      .addOption(new Option('--objective <name>', 'what to optimize').choices([...OBJECTIVES]).default('channel'))
      .option('--size <px>', 'image side', positiveInt, 128)
      .option('--steps <n>', 'optimization steps', positiveInt, 512)
      .option('--lr <rate>', 'Adam learning rate', positiveNumber, 0.05)
      .option('--seed <n>', 'random seed (init and transforms)', nonNegativeInt, 0)
      .option('--out <dir>', 'where the PNGs go', '.')
      .option('--workers <n>', 'worker threads (default: one per core; 1 = in process)', positiveInt)
      .option('--batch <n>', 'images optimized together per worker', positiveInt, DEFAULT_BATCH)
      .option('--post-relu', 'optimize post-ReLU values (default pre-ReLU)')
      .option('--json', 'print one JSON object per unit (array)'),
  ).action(async (flags: Flags) => {
    const bar = progressBar('steps');
    const model = loadOptions(flags);
    const t0 = performance.now();
    const results = await visualize({
      model,
      layer: flags.layer,
      units: flags.unit,
      objective: flags.objective,
      size: flags.size,
      steps: flags.steps,
      lr: flags.lr,
      seed: flags.seed,
      batch: flags.batch,
      workers: flags.workers,
      objectiveOptions: { relu: flags.postRelu },
      onProgress: (d, t) => bar.update(d, t),
    });
    bar.stop();
    const out = [];
    for (const v of results) {
      const files = await writeImages(v, flags.out);
      out.push({
        layer: v.layer,
        unit: v.unit,
        objective: v.objective,
        size: v.size,
        steps: v.steps,
        seed: v.seed,
        activation: v.activation,
        curve: v.curve,
        seconds: v.seconds,
        batch: v.batch,
        imageModel: v.imageModel,
        files: files.map((f) => path.relative(flags.out, f)),
        images: v.images.map((im) => ({ index: im.index, activation: im.activation })),
      });
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
