import { describe, expect, it } from 'vitest';
import { layerInfo, layerShapes, receptiveFields, vgg19 } from '../../generator/model/spec.ts';

describe('VGG19 spec', () => {
  it('has the Keras layer names and shapes', () => {
    const shapes = layerShapes(vgg19);
    expect(vgg19.layers.map((l) => l.name).slice(0, 4)).toEqual(['block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1']);
    expect(shapes.get('block3_conv4')).toEqual([56, 56, 256]);
    expect(shapes.get('block5_pool')).toEqual([7, 7, 512]);
    expect(shapes.get('flatten')).toEqual([25088]);
    expect(shapes.get('predictions')).toEqual([1000]);
    expect(layerShapes(vgg19, 128).get('block3_conv4')).toEqual([32, 32, 256]);
    // [height, width]: pools floor each side on its own (130 -> 65 -> 32, 96 -> 48 -> 24).
    expect(layerShapes(vgg19, [130, 96]).get('block3_conv4')).toEqual([32, 24, 256]);
  });

  it('counts 143,667,240 parameters, as Keras reports for VGG19', () => {
    expect(layerInfo(vgg19).reduce((s, l) => s + l.params, 0)).toBe(143667240);
  });

  it('has the textbook receptive fields', () => {
    const rf = receptiveFields(vgg19);
    expect(rf.get('block1_conv1')).toEqual({ size: 3, stride: 1, offset: 0.5 });
    expect(rf.get('block2_conv2')).toEqual({ size: 14, stride: 2, offset: 1 });
    expect(rf.get('block3_conv4')).toEqual({ size: 48, stride: 4, offset: 2 });
    expect(rf.get('block5_conv4')!.size).toBe(252);
    expect(rf.get('block5_pool')).toMatchObject({ size: 268, stride: 32 });
  });
});
