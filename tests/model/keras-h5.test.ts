import { copyFileSync, mkdtempSync, openSync, readFileSync, writeFileSync, closeSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { availableLayers, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { writeKerasH5 } from '../helpers/h5.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';
import { tiny, tinyLayers } from '../helpers/tiny.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'atlas-h5-'));

describe('readKerasWeights', () => {
  it('loads the 8 conv layers of the shared notop prefix file and nothing more', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    expect([...w.layers.keys()]).toEqual([
      'block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2',
      'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_conv4',
    ]);
    expect(w.layers.get('block3_conv4')!.kernelShape).toEqual([3, 3, 256, 256]);
    expect(w.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(availableLayers(vgg19, w)).toEqual([
      'block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_conv2', 'block2_pool',
      'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_conv4', 'block3_pool',
    ]);
  });

  it('loads a shorter prefix (block1 only) written in the Keras layout', async () => {
    const src = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const file = path.join(tmp(), 'prefix.h5');
    await writeKerasH5(file, ['input_1', 'block1_conv1', 'block1_conv2', 'block1_pool'].map((name) => {
      const l = src.layers.get(name);
      return l ? { name, weights: [
        { name: `${name}_W_1:0`, data: l.kernel, shape: l.kernelShape },
        { name: `${name}_b_1:0`, data: l.bias, shape: [l.bias.length] },
      ] } : { name };
    }));
    const w = await readKerasWeights(file, vgg19);
    expect(availableLayers(vgg19, w)).toEqual(['block1_conv1', 'block1_conv2', 'block1_pool']);
    expect(Array.from(w.layers.get('block1_conv2')!.kernel.slice(0, 5))).toEqual(Array.from(src.layers.get('block1_conv2')!.kernel.slice(0, 5)));
  });

  it('loads a full file with a classifier head (Keras 2 weight names), and one nested under /model_weights', async () => {
    const dir = tmp();
    for (const [name, rootGroup] of [['full.h5', undefined], ['saved.h5', 'model_weights']] as const) {
      const file = path.join(dir, name);
      await writeKerasH5(file, tinyLayers(), { rootGroup });
      const w = await readKerasWeights(file, tiny);
      expect([...w.layers.keys()]).toEqual(['block1_conv1', 'block2_conv1', 'fc1', 'predictions']);
      expect(availableLayers(tiny, w)).toEqual(tiny.layers.map((l) => l.name));
    }
  });

  it('rejects a missing, a non-HDF5, a truncated and a non-Keras file with clear errors', async () => {
    const dir = tmp();
    await expect(readKerasWeights(path.join(dir, 'nope.h5'), vgg19)).rejects.toThrow(/weights file not found/);

    const png = path.join(dir, 'image.h5');
    copyFileSync(path.join(FIXTURES(), 'tench_224.png'), png);
    await expect(readKerasWeights(png, vgg19)).rejects.toThrow(/not an HDF5 file/);

    const truncated = path.join(dir, 'truncated.h5');
    const fd = openSync(NOTOP_WEIGHTS(), 'r');
    const head = Buffer.alloc(4096);
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    writeFileSync(truncated, head);
    const err = await readKerasWeights(truncated, vgg19).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtlasError);
    expect((err as AtlasError).message).toMatch(/truncated\.h5/);

    const bare = path.join(dir, 'bare.h5');
    await writeKerasH5(bare, [{ name: 'x' }], { omitLayerNames: true });
    await expect(readKerasWeights(bare, vgg19)).rejects.toThrow(/not a Keras weights file/);
  });

  it('rejects the weights of another architecture, naming the layer and shapes', async () => {
    const file = path.join(tmp(), 'other.h5');
    await writeKerasH5(file, tinyLayers());
    await expect(readKerasWeights(file, vgg19)).rejects.toThrow(/block1_conv1 kernel has shape \[3,3,3,4\].*expected \[3,3,3,64\]/);
  });

  it('is not fooled by a file that only shares the name', () => {
    expect(readFileSync(NOTOP_WEIGHTS()).subarray(1, 4).toString()).toBe('HDF');
  });
});
