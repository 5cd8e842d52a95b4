import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { AtlasError } from '../errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import { DEFAULT_TOP, examplesForLayers, spatialLayers } from '../dataset/index.ts';
import { getSpec } from '../model/load.ts';
import { addModelOptions, loadOptions, log, type ModelFlags, printJson } from './common.ts';
import { positiveInt, unitList } from './parse.ts';

interface Flags extends ModelFlags {
  layer: string;
  units: number[] | 'all';
  dataset?: string;
  top: number;
  out: string;
  json?: boolean;
  limit?: number;
  sample?: number;
  workers?: number;
}

function units(value: string): number[] | 'all' {
  if (value.trim() === 'all') return 'all';
  try {
    return unitList(value);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message} Or 'all'.`);
  }
}

export function register(program: Command): void {
  addModelOptions(
    program
      .command('examples')
      .description('dataset examples: the images and classes that excite each unit of a layer most (and least), the images that drive it most negative (pre-ReLU), with receptive-field crops')
      .requiredOption('--layer <name>', 'conv or pool layer, e.g. block3_conv4 (every unit is computed in one pass)')
      .option('--units <list>', "units to write and print: 'all', or e.g. 0-3,9", units, 'all')
      .option('--dataset <dir>', 'image folder (ImageFolder <class>/<image>, flat <wnid>_*.jpg) or CSV manifest path,label (default $ATLAS_DATASET_DIR)')
      .option('--top <k>', 'top, bottom and negative examples per unit', positiveInt, DEFAULT_TOP)
      .option('--out <dir>', 'output folder: <out>/<model>/<layer>/<unit>/examples.json and crops in <out>/<model>/<layer>/crops/; cache in <out>/.cache', 'generated')
      .option('--limit <n>', 'use only the first n images (sorted by path: on a one-image-per-class folder, its first n classes)', positiveInt)
      .option('--sample <n>', 'use n images spread evenly over the sorted list (a quick run across all classes)', positiveInt)
      .option('--workers <n>', 'worker threads, one engine each (default: one per core, or $ATLAS_WORKERS)', positiveInt)
      .option('--json', 'print [{"layer","unit","top","bottom","negative","classes","histogram","firing_rate","position_rate","silent","images","skipped"}] for the units'),
  ).action(async (flags: Flags) => {
    const spec = getSpec(flags.model);
    // Bad input is reported before any image is read.
    const [layer] = spatialLayers(spec, [flags.layer]);
    const wanted = flags.units === 'all' ? Array.from({ length: layer.units }, (_, i) => i) : flags.units;
    const bad = wanted.filter((u) => u >= layer.units);
    if (bad.length) throw new AtlasError(`unit ${bad[0]} is out of range: ${flags.layer} has units 0..${layer.units - 1}`);
    const t0 = performance.now();
    const result = (
      await examplesForLayers({
        model: loadOptions(flags),
        dataset: flags.dataset,
        layers: [flags.layer],
        top: flags.top,
        out: flags.out,
        workers: flags.workers,
        imageLimit: flags.limit,
        imageSample: flags.sample,
        // Only the asked units' crops, and nothing removed: the default --out is the pipeline's folder.
        cropUnits: wanted,
      })
    ).get(flags.layer)!;
    const records = wanted.map((u) => result.units[u]);
    for (const r of records) writeFileAtomic(path.join(flags.out, spec.id, r.layer, String(r.unit), 'examples.json'), `${JSON.stringify(r, null, 1)}\n`);
    log(`${result.images} images, ${result.skipped.length} skipped; ${records.length} units written to ${path.join(flags.out, spec.id, flags.layer)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (flags.json) return printJson(records);
    const shown = Math.min(3, flags.top);
    log(`below: the first ${shown} of each unit's top and negative examples (of ${flags.top}) and of its classes; all of them in examples.json and with --json`);
    for (const r of records) {
      console.log(`${r.layer} unit ${r.unit}: firing rate ${(r.firing_rate * 100).toFixed(1)}% (silent on ${r.silent} of ${r.images} images), on ${(r.position_rate * 100).toFixed(1)}% of positions on average`);
      for (const e of r.top.slice(0, shown)) console.log(`  top     ${e.activation.toFixed(2).padStart(9)}  ${e.image} (${e.label}) at (${e.x},${e.y})`);
      for (const e of r.negative.slice(0, shown)) console.log(`  negative ${e.activation.toFixed(2).padStart(8)}  ${e.image} (${e.label}) at (${e.x},${e.y}), pre-ReLU`);
      console.log(`  classes ${r.classes.slice(0, shown).map((c) => `${c.label} ${c.mean.toFixed(2)}`).join(', ')}`);
    }
  });
}
