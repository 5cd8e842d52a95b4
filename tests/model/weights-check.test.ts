import { describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { classifierMissing } from '../../generator/model/classify.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { missingLayersError, prefixHint, requireLayers } from '../../generator/model/weights-check.ts';

// What a block1..block3 prefix file lets us compute.
const prefix = vgg19.layers.map((l) => l.name).slice(0, vgg19.layers.findIndex((l) => l.name === 'block4_conv1'));

describe('weights check', () => {
  it('passes when every layer is loaded', () => {
    expect(missingLayersError(vgg19, prefix, ['block1_conv1', 'block3_conv4'])).toBeNull();
    expect(() => requireLayers(vgg19, prefix, ['block3_pool'])).not.toThrow();
  });

  it('names a missing layer, what is available and, as the hint, how to get the full file', () => {
    const e = missingLayersError(vgg19, prefix, ['block3_conv4', 'block4_conv1'])!;
    expect(e).toBeInstanceOf(AtlasError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`layer block4_conv1 is not in the loaded weights; available: ${prefix.join(', ')}`);
    expect(e.hint).toBe(prefixHint(vgg19));
    expect(e.hint).toMatch(/holds only a prefix.*vgg19_weights_tf_dim_ordering_tf_kernels\.h5.*npm run fetch-model.*--weights/);
    expect(missingLayersError(vgg19, prefix, ['block4_conv1', 'block5_conv1'])!.message).toMatch(/^layer block4_conv1, block5_conv1 are not in/);
  });

  it('lists the given choices under their label', () => {
    const e = missingLayersError(vgg19, prefix, ['block4_conv1'], { choices: ['block1_conv1', 'block1_conv2'], choicesLabel: 'available conv layers' })!;
    expect(e.message).toBe('layer block4_conv1 is not in the loaded weights; available conv layers: block1_conv1, block1_conv2');
  });

  it('calls a layer the model does not have unknown, without the prefix hint', () => {
    const e = missingLayersError(vgg19, prefix, ['block9_conv1'])!;
    expect(e.message).toBe(`unknown layer 'block9_conv1' for vgg19; available: ${prefix.join(', ')}`);
    expect(e.hint).toBeUndefined();
    expect(() => requireLayers(vgg19, prefix, ['block9_conv1'])).toThrow(AtlasError);
  });

  it('says what classification needs: every missing layer up to the head', () => {
    const e = classifierMissing(vgg19, prefix)!;
    expect(e.message).toMatch(/^classification \(the classifier head\) needs layers the loaded weights lack: block4_conv1, .*flatten, fc1, fc2, predictions; available: block1_conv1/);
    expect(e.hint).toBe(prefixHint(vgg19));
    expect(classifierMissing(vgg19, vgg19.layers.map((l) => l.name))).toBeNull();
  });
});
