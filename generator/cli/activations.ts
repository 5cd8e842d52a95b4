import path from 'node:path';
import type { Command } from 'commander';
import { AtlasError } from '../errors.ts';
import { writeFileAtomic } from '../fsutil.ts';
import { heatmapPng, peakField } from '../heatmap.ts';
import type { NdArray } from '../model/engine.ts';
import { loadImage, type RgbImage } from '../model/image.ts';
import { receptiveFields, type ReceptiveField } from '../model/spec.ts';
import { channelStats, unitMap } from '../model/stats.ts';
import { addModelOptions, type ModelFlags, openModel, printJson } from './common.ts';

interface Flags extends ModelFlags {
  layer: string;
  unit?: string;
  map?: string;
  json?: boolean;
  preRelu?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    program
      .command('activations')
      .description("a layer's activation for one image: per-channel mean and max, or one unit's map and where it peaks")
      .argument('<image>', 'image file (224x224 is used as is; others are resized to 256 and centre-cropped)')
      .requiredOption('--layer <name>', 'Keras layer name, e.g. block3_conv4')
      .option('--unit <u>', "one unit (0-based channel): its spatial map, its maximum's position and receptive field")
      .option('--map <file.png>', 'with --unit: write the map over the image (red excited, blue negative pre-ReLU; the peak\'s field outlined)')
      .option('--pre-relu', 'statistics of the pre-ReLU activation')
      .option('--json', 'print {"model","layer","shape","mean","max"}; with --unit {"model","layer","unit","shape","mean","max","min","active","at","field","map"}'),
  ).action(async (image: string, flags: Flags) => {
    if (flags.map && flags.unit === undefined) throw new AtlasError('--map needs --unit', 'e.g. --unit 166 --map unit166.png');
    if (flags.map && path.extname(flags.map).toLowerCase() !== '.png') throw new AtlasError(`--map ${flags.map}: the map is written as PNG`, 'name the file .png');
    const unit = flags.unit === undefined ? null : Number(flags.unit);
    if (unit !== null && !(Number.isInteger(unit) && unit >= 0)) throw new AtlasError(`--unit '${flags.unit}' is not a unit number`, 'units are 0-based channels, e.g. --unit 166');
    const { spec, engine } = await openModel(flags);
    const img = await loadImage(image, spec.inputSize);
    const acts = await engine.activations({ data: img.data, shape: [1, img.height, img.width, 3] }, [flags.layer], {
      preRelu: flags.preRelu,
    });
    const act = acts.get(flags.layer)!;
    if (unit !== null) {
      const units = act.shape[act.shape.length - 1];
      if (unit >= units) throw new AtlasError(`unit ${unit} is out of range: ${flags.layer} has units 0..${units - 1}`);
      if (act.shape.length !== 4) throw new AtlasError(`${flags.layer} has no spatial map (shape ${act.shape.slice(1).join('x')})`, 'pick a conv or pool layer, or leave out --unit');
      return printUnit(spec.id, image, flags, unit, act, img, receptiveFields(spec).get(flags.layer) ?? null);
    }
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

async function printUnit(model: string, image: string, flags: Flags, unit: number, act: NdArray, img: RgbImage, rf: ReceptiveField | null): Promise<void> {
  const m = unitMap(act, unit);
  const field = peakField(m, rf, img.width);
  if (flags.map) writeFileAtomic(flags.map, await heatmapPng(img, m, rf));
  if (flags.json) {
    const rows = Array.from({ length: m.height }, (_, r) => Array.from(m.values.subarray(r * m.width, (r + 1) * m.width)));
    printJson({ model, layer: flags.layer, unit, shape: [m.height, m.width], mean: m.mean, max: m.max, min: m.min, active: m.active, at: { row: m.row, col: m.col }, field, map: rows });
    return;
  }
  const kind = flags.preRelu ? 'pre-ReLU' : 'post-ReLU';
  console.log(`${model} ${flags.layer} unit ${unit} on ${path.basename(image)} (${kind}, grid ${m.height}x${m.width})`);
  console.log(`max ${m.max.toFixed(4)} at row ${m.row}, col ${m.col}${field ? `: its receptive field is x ${field.left}-${field.left + field.width - 1}, y ${field.top}-${field.top + field.height - 1} of the ${img.width} px input` : ''}`);
  console.log(`mean ${m.mean.toFixed(4)}; above zero at ${(100 * m.active).toFixed(1)}% of positions${flags.preRelu ? `; min ${m.min.toFixed(4)}` : ''}`);
  if (m.max <= 0 && !flags.preRelu) console.log('the unit does not fire on this image (its position is then arbitrary)');
  if (flags.map) console.log(`map: ${flags.map} (red: activation / its largest |value|${flags.preRelu ? ', blue: negative' : ''}; outlined: the maximum's receptive field)`);
}
