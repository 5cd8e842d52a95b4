// atlas evaluate: the model check over a whole dataset (top-1 / top-5 accuracy), as the pipeline's model
// stage computes it for the model page.
import type { Command } from 'commander';
import { openDataset, resolveDatasetPath } from '../dataset/source.ts';
import { datasetAccuracy } from '../model/accuracy.ts';
import { assertCanClassify } from '../model/classify.ts';
import { addModelOptions, type ModelFlags, openModel, printJson } from './common.ts';
import { progressBar } from '../progress-bar.ts';
import { positiveInt } from './parse.ts';

interface Flags extends ModelFlags {
  dataset?: string;
  sample?: number;
  json?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    program
      .command('evaluate')
      .description('model check over a dataset: top-1 and top-5 accuracy on every image of a class the classifier knows')
      .option('--dataset <dir>', 'image folder or CSV manifest (default $ATLAS_DATASET_DIR)')
      .option('--sample <n>', 'only n images spread evenly over the sorted list (a quick check across all classes)', positiveInt)
      .option('--json', 'print {"images","unscored","top1","top5","ranks"}'),
  ).action(async (flags: Flags) => {
    const { engine } = await openModel(flags);
    assertCanClassify(engine);
    const ds = openDataset(resolveDatasetPath(flags.dataset), { sample: flags.sample });
    const progress = progressBar('classify', { unit: 'images' });
    const acc = await datasetAccuracy(engine, ds, { onProgress: progress.update });
    progress.stop();
    engine.dispose();
    if (flags.json) return printJson(acc);
    console.log(`${engine.spec.id} on ${ds.root}: ${acc.images} images${acc.unscored ? ` (${acc.unscored} of unknown classes left out)` : ''}`);
    console.log(`  top-1 ${(acc.top1 * 100).toFixed(1)}%   top-5 ${(acc.top5 * 100).toFixed(1)}%`);
  });
}
