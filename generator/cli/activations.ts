import type { Command } from 'commander';
import { loadImage } from '../model/image.ts';
import { channelStats } from '../model/stats.ts';
import { addModelOptions, type ModelFlags, openModel, printJson } from './common.ts';

interface Flags extends ModelFlags {
  layer: string;
  json?: boolean;
  preRelu?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    program
      .command('activations')
      .description('per-channel mean and max of a layer\'s activation for one image')
      .argument('<image>', 'image file (224x224 is used as is; others are resized to 256 and centre-cropped)')
      .requiredOption('--layer <name>', 'Keras layer name, e.g. block3_conv4')
      .option('--pre-relu', 'statistics of the pre-ReLU activation')
      .option('--json', 'print {"model","layer","shape","mean","max"}'),
  ).action(async (image: string, flags: Flags) => {
    const { spec, engine } = await openModel(flags);
    const img = await loadImage(image, spec.inputSize);
    const acts = await engine.activations({ data: img.data, shape: [1, img.height, img.width, 3] }, [flags.layer], {
      preRelu: flags.preRelu,
    });
    const act = acts.get(flags.layer)!;
    if (act.shape.length !== 4) {
      const values = Array.from(act.data);
      if (flags.json) printJson({ model: spec.id, layer: flags.layer, shape: act.shape.slice(1), mean: values, max: values });
      else values.forEach((v, i) => console.log(`${i}\t${v}`));
      return;
    }
    const stats = channelStats(act);
    if (flags.json) {
      printJson({ model: spec.id, layer: flags.layer, shape: act.shape.slice(1), mean: stats.mean, max: stats.max });
      return;
    }
    console.log(`${spec.id} ${flags.layer} shape ${act.shape.slice(1).join('x')}${flags.preRelu ? ' (pre-ReLU)' : ''}`);
    console.log('channel\tmean\tmax');
    stats.mean.forEach((m, c) => console.log(`${c}\t${m.toFixed(4)}\t${stats.max[c].toFixed(4)}`));
  });
}
