import type { Command } from 'commander';
import { classify, assertCanClassify } from '../model/classify.ts';
import { loadImage } from '../model/image.ts';
import { AtlasError } from '../errors.ts';
import { addModelOptions, log, type ModelFlags, openModel, printJson } from './common.ts';
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
    const failed: string[] = [];
    for (const image of images) {
      let pixels;
      try {
        pixels = await loadImage(image, spec.inputSize);
      } catch (e) {
        // One unreadable file among many costs only its own result: the others are still classified.
        if (!(e instanceof AtlasError)) throw e;
        log(`warning: skipped ${e.describe()}`);
        failed.push(image);
        continue;
      }
      const [top] = await classify(engine, [pixels], flags.top);
      results.push({ image, top });
    }
    if (flags.json) printJson(results);
    else {
      for (const r of results) {
        console.log(r.image);
        for (const p of r.top) console.log(`  ${(p.probability * 100).toFixed(2).padStart(6)}%  ${p.wnid}  ${p.label}`);
      }
    }
    if (failed.length) throw new AtlasError(`${failed.length} of ${images.length} image(s) could not be read: ${failed.join(', ')}`, results.length ? 'the others are classified above' : 'pass JPEG/PNG/WebP files');
  });
}
