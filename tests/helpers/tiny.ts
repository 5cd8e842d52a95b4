// A tiny VGG-like spec with a classifier head, small enough to write whole in a test and to check
// against a plain-JS computation.
import type { ModelSpec } from '../../generator/model/spec.ts';
import { type H5Layer, randomArray } from './h5.ts';

export const tiny: ModelSpec = {
  id: 'tiny',
  name: 'tiny test net',
  inputSize: 8,
  layers: [
    { name: 'block1_conv1', kind: 'conv', kernel: 3, filters: 4, activation: 'relu' },
    { name: 'block1_pool', kind: 'pool', size: 2, stride: 2 },
    { name: 'block2_conv1', kind: 'conv', kernel: 3, filters: 6, activation: 'relu' },
    { name: 'block2_pool', kind: 'pool', size: 2, stride: 2 },
    { name: 'flatten', kind: 'flatten' },
    { name: 'fc1', kind: 'dense', units: 5, activation: 'relu' },
    { name: 'predictions', kind: 'dense', units: 3, activation: 'softmax' },
  ],
  preprocessing: { mode: 'caffe', mean: [103.939, 116.779, 123.68], range: 255 },
  weights: [],
  classifier: { layer: 'predictions', outputs: 'probabilities' },
};

export const tinyShapes: Record<string, number[]> = {
  block1_conv1: [3, 3, 3, 4],
  block2_conv1: [3, 3, 4, 6],
  fc1: [2 * 2 * 6, 5],
  predictions: [5, 3],
};

/** Layers in the Keras full-file layout (input, weighted layers, pools and flatten without weights). */
export function tinyLayers(scale = 0.05): H5Layer[] {
  const names = ['input_1', 'block1_conv1', 'block1_pool', 'block2_conv1', 'block2_pool', 'flatten', 'fc1', 'predictions'];
  return names.map((name, i) => {
    const shape = tinyShapes[name];
    if (!shape) return { name };
    const n = shape.reduce((a, b) => a * b, 1);
    return {
      name,
      weights: [
        { name: `${name}/kernel:0`, data: randomArray(n, 17 + i, scale), shape },
        { name: `${name}/bias:0`, data: randomArray(shape[shape.length - 1], 99 + i, scale), shape: [shape[shape.length - 1]] },
      ],
    };
  });
}
