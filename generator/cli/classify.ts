import type { Command } from 'commander';
import { classify, assertCanClassify } from '../model/classify.ts';
import { loadImage } from '../model/image.ts';
import { addModelOptions, type ModelFlags, openModel, printJson } from './common.ts';
import { positiveInt } from './parse.ts';

interface Flags extends ModelFlags {
  top: number;
  json?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    program
      .command('classify')
      .description('model check: top-k ImageNet classes per image (needs the weights with the classifier head)')
      .argument('<images...>', 'image files')
      .option('--top <k>', 'how many classes', positiveInt, 5)
      .option('--json', 'print [{"image","top":[{"index","wnid","label","probability"}]}]'),
  ).action(async (images: string[], flags: Flags) => {
    const { spec, engine } = await openModel(flags);
    assertCanClassify(engine); // before decoding anything
    const results = [];
    for (const image of images) {
      const [top] = await classify(engine, [await loadImage(image, spec.inputSize)], flags.top);
      results.push({ image, top });
    }
    if (flags.json) return printJson(results);
    for (const r of results) {
      console.log(r.image);
      for (const p of r.top) console.log(`  ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.wnid}  ${p.label}`);
    }
  });
}
