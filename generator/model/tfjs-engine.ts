// The tfjs implementation of the Engine interface: interprets a ModelSpec with Keras weights.
import * as tf from '@tensorflow/tfjs';
import { AtlasError } from '../errors.ts';
import type { ActivationOptions, Engine, InputGradient, NdArray, Objective } from './engine.ts';
import { availableLayers, type KerasWeights } from './keras-h5.ts';
import { redirects } from './objective-eval.ts';
import type { LayerSpec, ModelSpec } from './spec.ts';
import { requireLayers } from './weights-check.ts';

/**
 * Conv with 'same' padding whose input-gradient is a forward conv with the spatially flipped,
 * in/out-transposed kernel. tfjs-wasm's Conv2DBackpropInput is many times slower than its forward conv,
 * and the weights' gradient is never needed here, so this is all the backward pass we want.
 */
export function makeFastConv(
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
  flipped: tf.Tensor4D = flipKernel(kernel),
): (x: tf.Tensor4D) => tf.Tensor4D {
  return tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => {
    return {
      value: tf.add(tf.conv2d(x as tf.Tensor4D, kernel, 1, 'same'), bias) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor4D) => tf.conv2d(dy, flipped, 1, 'same'),
    };
  }) as (x: tf.Tensor4D) => tf.Tensor4D;
}

/** [k, k, in, out] -> spatially flipped [k, k, out, in]. */
export function flipKernel(kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]));
}

interface Compiled {
  spec: LayerSpec;
  apply: (x: tf.Tensor, preRelu: boolean) => { out: tf.Tensor; pre: tf.Tensor };
}

export interface TfjsEngineOptions {
  /** Use the flipped-kernel conv gradient (default true); false uses tfjs's own Conv2DBackpropInput. */
  fastConvGrad?: boolean;
}

export class TfjsEngine implements Engine {
  readonly name: string;
  private readonly compiled: Compiled[];
  private readonly available: string[];
  private readonly mean: tf.Tensor1D;
  private readonly owned: tf.Tensor[] = [];

  constructor(
    readonly spec: ModelSpec,
    weights: Pick<KerasWeights, 'layers'>,
    opts: TfjsEngineOptions = {},
  ) {
    this.name = `tfjs-${tf.getBackend()}`;
    this.available = availableLayers(spec, weights);
    this.mean = this.own(tf.tensor1d(spec.preprocessing.mean));
    const fast = opts.fastConvGrad ?? true;
    this.compiled = spec.layers
      .filter((l) => this.available.includes(l.name))
      .map((l) => ({ spec: l, apply: this.compile(l, weights, fast) }));
  }

  private own<T extends tf.Tensor>(t: T): T {
    this.owned.push(tf.keep(t));
    return t;
  }

  private compile(l: LayerSpec, weights: Pick<KerasWeights, 'layers'>, fast: boolean): Compiled['apply'] {
    switch (l.kind) {
      case 'conv': {
        const w = weights.layers.get(l.name)!;
        const kernel = this.own(tf.tensor4d(w.kernel, w.kernelShape as [number, number, number, number]));
        const bias = this.own(tf.tensor1d(w.bias));
        const conv = fast
          ? makeFastConv(kernel, bias, this.own(flipKernel(kernel)))
          : (x: tf.Tensor4D) => tf.add(tf.conv2d(x, kernel, 1, 'same'), bias) as tf.Tensor4D;
        return (x) => {
          const pre = conv(x as tf.Tensor4D);
          return { pre, out: l.activation === 'relu' ? tf.relu(pre) : pre };
        };
      }
      case 'pool':
        return (x) => {
          const out = tf.maxPool(x as tf.Tensor4D, l.size, l.stride, 'valid');
          return { pre: out, out };
        };
      case 'flatten':
        // NHWC row-major flatten = Keras' channels_last Flatten, which is what the fc1 kernel expects.
        return (x) => {
          const out = tf.reshape(x, [x.shape[0], -1]);
          return { pre: out, out };
        };
      case 'dense': {
        const w = weights.layers.get(l.name)!;
        const kernel = this.own(tf.tensor2d(w.kernel, w.kernelShape as [number, number]));
        const bias = this.own(tf.tensor1d(w.bias));
        return (x) => {
          const pre = tf.add(tf.matMul(x as tf.Tensor2D, kernel), bias);
          const out = l.activation === 'relu' ? tf.relu(pre) : l.activation === 'softmax' ? tf.softmax(pre) : pre;
          return { pre, out };
        };
      }
      default:
        throw new AtlasError(`the tfjs engine runs sequential specs; ${l.name} is a ${l.kind} layer of an imported graph`, 'use --engine onnxruntime');
    }
  }

  layers(): string[] {
    return [...this.available];
  }

  private check(layers: string[]): number {
    requireLayers(this.spec, this.available, layers);
    return Math.max(-1, ...layers.map((name) => this.compiled.findIndex((c) => c.spec.name === name)));
  }

  /** Runs the network on RGB [0,255] NHWC input up to the deepest requested layer. */
  forward(images: tf.Tensor4D, layers: string[], preRelu = false): Map<string, tf.Tensor> {
    const last = this.check(layers);
    const out = new Map<string, tf.Tensor>();
    // Keras 'caffe' preprocessing: RGB -> BGR, minus the BGR mean; no scaling.
    let x: tf.Tensor = tf.sub(tf.reverse(images, [3]), this.mean);
    for (let i = 0; i <= last; i++) {
      const c = this.compiled[i];
      if (c.spec.kind === 'dense' && x.rank !== 2) {
        throw new AtlasError(`layer ${c.spec.name} needs a ${this.spec.inputSize}x${this.spec.inputSize} input, got ${images.shape[1]}x${images.shape[2]}`);
      }
      const { out: y, pre } = c.apply(x, preRelu);
      if (layers.includes(c.spec.name)) out.set(c.spec.name, preRelu ? pre : y);
      x = y;
    }
    return out;
  }

  async activations(images: NdArray, layers: string[], opts: ActivationOptions = {}): Promise<Map<string, NdArray>> {
    this.check(layers);
    const acts = tf.tidy(() => {
      const x = tf.tensor4d(images.data, images.shape as [number, number, number, number]);
      const m = this.forward(x, layers, opts.preRelu);
      return layers.map((l) => m.get(l)!);
    });
    const out = new Map<string, NdArray>();
    for (let i = 0; i < layers.length; i++) {
      out.set(layers[i], { data: (await acts[i].data()) as Float32Array, shape: acts[i].shape });
      acts[i].dispose();
    }
    return out;
  }

  /** Tensor-level gradient, for callers already in tfjs (the tfjs optvis path avoids two copies). */
  gradientTensor(x: tf.Tensor4D, layer: string, objective: Objective, opts: ActivationOptions = {}): { grad: tf.Tensor4D; values: tf.Tensor1D } {
    this.check([layer]);
    let values: tf.Tensor1D | null = null;
    const l = this.spec.layers.find((x) => x.name === layer);
    // A layer without a ReLU has nothing to redirect (as the onnxruntime graph, whose pre and post values are one).
    if (redirects(objective, opts) && (l?.kind === 'conv' || l?.kind === 'dense') && l.activation === 'relu') {
      const linear = objective.linear!;
      // From the pre-ReLU value, with the linear objective's seed through the ReLU's mask except in the
      // views whose value is not positive (ActivationOptions.redirect); the objective only gives the values.
      const redirected = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        const z = args[0] as tf.Tensor;
        values = tf.keep(objective(tf.relu(z)));
        const silent = tf.cast(tf.logicalNot(tf.greater(values, 0)), 'float32').reshape([-1, ...z.shape.slice(1).map(() => 1)]);
        const seed = tf.mul(tf.tensor(linear(z.shape), z.shape), tf.maximum(tf.step(z), silent));
        (args[1] as tf.GradSaveFunc)([seed]);
        return { value: tf.sum(values), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, s) };
      });
      const grad = tf.grad((input: tf.Tensor) => redirected(this.forward(input as tf.Tensor4D, [layer], true).get(layer)!))(x) as tf.Tensor4D;
      return { grad, values: values! };
    }
    const grad = tf.grad((input: tf.Tensor) => {
      const act = this.forward(input as tf.Tensor4D, [layer], opts.preRelu).get(layer)!;
      const v = objective(act);
      values = tf.keep(v);
      return tf.sum(v);
    })(x) as tf.Tensor4D;
    return { grad, values: values! };
  }

  async inputGradient(images: NdArray, layer: string, objective: Objective, opts: ActivationOptions = {}): Promise<InputGradient> {
    const x = tf.tensor4d(images.data, images.shape as [number, number, number, number]);
    try {
      const { grad, values } = this.gradientTensor(x, layer, objective, opts);
      const out = { grad: { data: (await grad.data()) as Float32Array, shape: grad.shape }, values: (await values.data()) as Float32Array };
      grad.dispose();
      values.dispose();
      return out;
    } finally {
      x.dispose();
    }
  }

  dispose(): void {
    for (const t of this.owned) t.dispose();
    this.owned.length = 0;
  }
}
