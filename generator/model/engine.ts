// The one narrow interface between the network and everything that studies it (optvis, dataset,
// circuits, stimuli). Arrays cross it as plain typed arrays, so an engine may run anywhere (tfjs,
// onnxruntime, a GPU); objectives are small tfjs functions on an activation, run wherever tfjs runs.
import type * as tf from '@tensorflow/tfjs';
import type { Device } from './device.ts';
import type { ModelSpec } from './spec.ts';

/** A dense row-major array; images are NHWC RGB in [0, 255]. */
export interface NdArray {
  data: Float32Array;
  shape: number[];
}

export interface ActivationOptions {
  /** Return conv/dense outputs before their ReLU (default: after). */
  preRelu?: boolean;
  /**
   * inputGradient of a post-ReLU linear objective (channel, neuron; its `linear` gradient non-negative):
   * a view whose value is not positive (its unit off wherever the objective reads, so no gradient) takes
   * the pre-ReLU gradient instead, in the same run (Lucid's redirected ReLU, at the objective's layer).
   */
  redirect?: boolean;
}

/** Per-image objective values and the gradient of their sum w.r.t. the activation. */
export interface ObjectiveGradient {
  values: Float32Array;
  grad: Float32Array;
}

/**
 * Per-image objective values [N] of one layer's activation [N, h, w, c] (or [N, units]), as a tfjs
 * function (differentiated by tfjs). Two optional shortcuts an engine may take instead:
 * - `linear`: the objective is linear in the activation, with this (constant) gradient for an activation
 *   shape; an engine can then run forward and backward in one go, without handing the activation out;
 * - `evaluate`: values and gradient computed on typed arrays, faster than tfjs's autodiff; an
 *   onnxruntime engine passes its device, so a matrix-heavy objective can run where the network runs.
 */
export type Objective = ((activation: tf.Tensor) => tf.Tensor1D) & {
  linear?: (shape: number[], channels?: readonly number[]) => Float32Array;
  /**
   * With `linear`: the only channels (ascending) its gradient touches; an engine may compute just those,
   * asking `linear(shape, channels)` for the gradient on them alone ([N, h, w, channels.length]).
   */
  channels?: readonly number[];
  /**
   * It reads the layer's post-ReLU activation (callers pass `preRelu: false`; its `linear` gradient is
   * for that one); else the pre-ReLU one.
   */
  postRelu?: boolean;
  evaluate?: (activation: NdArray, where?: { device?: Device }) => Promise<ObjectiveGradient>;
};

export interface InputGradient {
  /** d(sum of objective values) / d(input image), same shape as the input. */
  grad: NdArray;
  /** The objective's value for each image. */
  values: Float32Array;
}

export interface Engine {
  /** e.g. 'tfjs-wasm', 'tfjs-tensorflow', 'onnxruntime'. */
  readonly name: string;
  readonly spec: ModelSpec;
  /** Layers the loaded weights make computable, in order. */
  layers(): string[];
  activations(images: NdArray, layers: string[], opts?: ActivationOptions): Promise<Map<string, NdArray>>;
  inputGradient(images: NdArray, layer: string, objective: Objective, opts?: ActivationOptions): Promise<InputGradient>;
  dispose(): void;
}
