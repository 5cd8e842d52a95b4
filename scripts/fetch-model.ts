// npm run fetch-model [-- --notop]: downloads the official Keras VGG19 ImageNet weights into models/vgg19/.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { download, hashFile } from '../generator/download.ts';
import { isAtlasError } from '../generator/errors.ts';
import { projectFile } from '../generator/paths.ts';
import { vgg19 } from '../generator/model/spec.ts';

const notop = process.argv.includes('--notop');
const source = vgg19.weights.find((w) => w.includesTop === !notop)!;
const dest = path.join(projectFile('models', 'vgg19'), source.file);
try {
  if (existsSync(dest) && (await hashFile(dest, 'md5')) === source.md5) {
    console.log(`${dest} is already there and its md5 matches.`);
  } else {
    console.log(`downloading ${source.url}\n  -> ${dest}`);
    await download({
      url: source.url,
      dest,
      hash: source.md5,
      offlineHint:
        'copy the file from a machine that has it and set ATLAS_MODELS_DIR to the folder that holds vgg19/<file>.h5 (for example ATLAS_MODELS_DIR=../shared/models), or pass --weights FILE to the commands',
    });
    console.log(`done: ${dest} (md5 ${source.md5} verified)`);
  }
} catch (e) {
  if (isAtlasError(e)) {
    console.error(`fetch-model: ${e.describe()}`);
    process.exit(e.exitCode);
  }
  throw e;
}
