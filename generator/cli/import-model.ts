// atlas import-model FILE.onnx --id NAME: checks that the generator can run the graph (every op
// supported, shapes inferred), detects its layers, and writes the model card the rest of the generator
// reads. The .onnx itself is not copied: it is found in $ATLAS_MODELS_DIR/<id>/ (weights never enter git).
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { AtlasError } from '../errors.ts';
import { writeJsonAtomic } from '../fsutil.ts';
import { modelsDir, projectFile } from '../paths.ts';
import { type ModelCard, parseCard } from '../model/model-card.ts';
import { readOnnx } from '../model/onnx-read.ts';
import { detectLayers, specFromGraph } from '../model/onnx-import.ts';
import { layerInfo } from '../model/spec.ts';
import { printJson } from './common.ts';
import { positiveInt, positiveNumber } from './parse.ts';

/** Common conventions, so most users need no numbers: pixel / 255 * scale, then (x - mean) / std. */
export const PREPROCESS_PRESETS = {
  torchvision: { order: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  caffe: { order: 'BGR', scale: 255, mean: [103.939, 116.779, 123.68], std: [1, 1, 1] },
  'tf-inception': { order: 'RGB', scale: 2, mean: [1, 1, 1], std: [1, 1, 1] },
  raw255: { order: 'RGB', scale: 255, mean: [0, 0, 0], std: [1, 1, 1] },
  raw1: { order: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
} as const;

function triple(value: string): [number, number, number] {
  const v = value.split(',').map(Number);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError(`'${value}' is not three numbers (e.g. 0.485,0.456,0.406).`);
  return v as [number, number, number];
}

interface Flags {
  id: string;
  name?: string;
  size?: number;
  preprocess: keyof typeof PREPROCESS_PRESETS;
  order?: 'RGB' | 'BGR';
  scale?: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  classIndex?: string;
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('import-model')
    .description('check an ONNX image classifier and write its model card (layers, preprocessing, classes), so every command takes --model <id>')
    .argument('<file>', 'the .onnx file')
    .requiredOption('--id <name>', 'model id (URL segment: lower-case letters, digits, ".", "_", "-")')
    .option('--name <text>', 'display name')
    .option('--size <px>', 'input side (default: the graph input\'s)', positiveInt)
    .addOption(new Option('--preprocess <preset>', 'scaling convention').choices(Object.keys(PREPROCESS_PRESETS)).default('torchvision'))
    .addOption(new Option('--order <order>', 'channel order the model reads (overrides the preset)').choices(['RGB', 'BGR']))
    .option('--scale <x>', 'model value of a full-scale pixel (overrides the preset)', positiveNumber)
    .option('--mean <a,b,c>', 'per-channel mean, after scaling (overrides the preset)', triple)
    .option('--std <a,b,c>', 'per-channel std, after scaling (overrides the preset)', triple)
    .option('--class-index <file>', 'Keras-format class index in data/', 'imagenet_class_index.json')
    .option('--out <card.json>', 'where to write the card (default models/cards/<id>.json)')
    .option('--json', 'print the card and the layers as JSON')
    .action((file: string, flags: Flags) => {
      const ir = readOnnx(file);
      const preset = PREPROCESS_PRESETS[flags.preprocess];
      const size = flags.size ?? ir.inputDims[2];
      if (!size) throw new AtlasError(`${file}: the input's height is free`, 'pass --size <px> (the side the model was trained at)');
      const card: ModelCard = parseCard(
        {
          id: flags.id,
          name: flags.name ?? flags.id,
          file: path.basename(file),
          input: { size, order: flags.order ?? preset.order, scale: flags.scale ?? preset.scale, mean: flags.mean ?? [...preset.mean], std: flags.std ?? [...preset.std] },
          classIndex: flags.classIndex,
          layers: detectLayers(ir),
        },
        '--flags',
      );
      const spec = specFromGraph(ir, card, file);
      const out = flags.out ?? projectFile('models', 'cards', `${card.id}.json`);
      writeJsonAtomic(out, card);
      const layers = layerInfo(spec);
      if (flags.json) return printJson({ card: out, ...card, layers });
      console.log(`${card.id}: ${ir.nodes.length} nodes, ${layers.length} layers; card written to ${out}`);
      console.log('  layer                        kind         shape          receptive field (size/stride/offset)');
      for (const l of layers) console.log(`  ${l.name.padEnd(28)} ${l.kind.padEnd(12)} ${l.shape.join('x').padEnd(14)} ${l.rf ? `${l.rf.size}/${l.rf.stride}/${l.rf.offset}` : '-'}`);
      console.log(`next: put ${path.basename(file)} in ${path.join(modelsDir(), card.id)}/ and use --model ${card.id}; rename layers in the card's "layers" (names become permalinks).`);
    });
}
