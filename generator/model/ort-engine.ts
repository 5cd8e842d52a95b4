// The Engine interface on onnxruntime-node (native CPU kernels, all cores): the forward and the
// input-gradient graphs are built in memory from the spec and the Keras weights (onnx-graph.ts), each
// session once per (layers, pre/post-ReLU) and reused. Objectives stay tfjs functions: the engine hands
// them the activation and takes their gradient back.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { AtlasError } from '../errors.ts';
import type { ActivationOptions, Engine, InputGradient, NdArray, Objective } from './engine.ts';
import { availableLayers, type KerasWeights } from './keras-h5.ts';
import { buildBackward, buildForward } from './onnx-graph.ts';
import type { ModelSpec } from './spec.ts';

type OrtModule = typeof Ort;

let ortModule: OrtModule | null = null;

/** Loads onnxruntime-node, or says why not (its native binary may be missing on this platform). */
export async function loadOrt(): Promise<OrtModule> {
  if (ortModule) return ortModule;
  try {
    const mod = (await import('onnxruntime-node')) as OrtModule & { default?: OrtModule };
    ortModule = (mod.InferenceSession ? mod : mod.default) as OrtModule;
    return ortModule;
  } catch (e) {
    throw new AtlasError(`onnxruntime-node cannot be loaded: ${(e as Error).message}`, 'use --engine tfjs', 1);
  }
}

interface ForwardSession {
  session: Ort.InferenceSession;
  outputs: Map<string, string>;
  saved: string[];
}

export interface OrtEngineOptions {
  /** Intra-op threads (default: all cores). */
  threads?: number;
}

export class OrtEngine implements Engine {
  readonly name = 'onnxruntime';
  private readonly available: string[];
  private readonly forwardSessions = new Map<string, Promise<ForwardSession>>();
  private readonly backwardSessions = new Map<string, Promise<{ session: Ort.InferenceSession; savedInputs: string[] }>>();

  private constructor(
    readonly spec: ModelSpec,
    private readonly weights: Pick<KerasWeights, 'layers'>,
    private readonly ort: OrtModule,
    private readonly threads: number,
  ) {
    this.available = availableLayers(spec, weights);
  }

  static async create(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, opts: OrtEngineOptions = {}): Promise<OrtEngine> {
    return new OrtEngine(spec, weights, await loadOrt(), opts.threads ?? availableParallelism());
  }

  layers(): string[] {
    return [...this.available];
  }

  private check(layers: string[]): void {
    for (const name of layers) {
      if (this.available.includes(name)) continue;
      const known = this.spec.layers.some((l) => l.name === name);
      throw new AtlasError(
        known ? `layer ${name} is not in the loaded weights; available: ${this.available.join(', ')}` : `unknown layer '${name}' for ${this.spec.id}; available: ${this.available.join(', ')}`,
        known ? 'the weights file holds only a prefix of the network: get the full Keras file with `npm run fetch-model` (needs internet) or point --weights at it' : undefined,
      );
    }
  }

  private sessionOptions(): Ort.InferenceSession.SessionOptions {
    return { intraOpNumThreads: this.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  }

  private forward(layers: string[], preRelu: boolean, saveFor?: string): Promise<ForwardSession> {
    const key = `${layers.join(',')}|${preRelu}|${saveFor ?? ''}`;
    let s = this.forwardSessions.get(key);
    if (!s) {
      const g = buildForward(this.spec, this.weights.layers, layers, preRelu, saveFor);
      s = this.ort.InferenceSession.create(g.bytes, this.sessionOptions()).then((session) => ({ session, outputs: g.outputs, saved: g.saved }));
      this.forwardSessions.set(key, s);
    }
    return s;
  }

  private backward(layer: string, preRelu: boolean) {
    const key = `${layer}|${preRelu}`;
    let s = this.backwardSessions.get(key);
    if (!s) {
      const g = buildBackward(this.spec, this.weights.layers, layer, preRelu);
      s = this.ort.InferenceSession.create(g.bytes, this.sessionOptions()).then((session) => ({ session, savedInputs: g.savedInputs }));
      this.backwardSessions.set(key, s);
    }
    return s;
  }

  private imagesTensor(images: NdArray): Ort.Tensor {
    return new this.ort.Tensor('float32', images.data, images.shape);
  }

  async activations(images: NdArray, layers: string[], opts: ActivationOptions = {}): Promise<Map<string, NdArray>> {
    this.check(layers);
    const fwd = await this.forward(layers, !!opts.preRelu);
    const res = await fwd.session.run({ images: this.imagesTensor(images) });
    const out = new Map<string, NdArray>();
    for (const l of layers) {
      const t = res[fwd.outputs.get(l)!];
      out.set(l, { data: t.data as Float32Array, shape: t.dims.map(Number) });
    }
    return out;
  }

  async inputGradient(images: NdArray, layer: string, objective: Objective, opts: ActivationOptions = {}): Promise<InputGradient> {
    this.check([layer]);
    const preRelu = !!opts.preRelu;
    const [fwd, bwd] = await Promise.all([this.forward([layer], preRelu, layer), this.backward(layer, preRelu)]);
    const res = await fwd.session.run({ images: this.imagesTensor(images) });
    const act = res[fwd.outputs.get(layer)!];
    // The objective and its gradient w.r.t. the activation, in tfjs (small: one layer's activation).
    const { values, dAct } = tf.tidy(() => {
      const a = tf.tensor(act.data as Float32Array, act.dims.map(Number));
      let v: tf.Tensor1D | null = null;
      const grad = tf.grad((t: tf.Tensor) => {
        v = tf.keep(objective(t));
        return tf.sum(v);
      })(a);
      return { values: v!, dAct: grad };
    });
    const feeds: Record<string, Ort.Tensor> = { grad: new this.ort.Tensor('float32', dAct.dataSync() as Float32Array, dAct.shape) };
    fwd.saved.forEach((name, i) => (feeds[bwd.savedInputs[i]] = res[name]));
    const out = (await bwd.session.run(feeds)).input_grad;
    const result = { grad: { data: out.data as Float32Array, shape: out.dims.map(Number) }, values: values.dataSync() as Float32Array };
    values.dispose();
    dAct.dispose();
    return result;
  }

  dispose(): void {
    for (const s of [...this.forwardSessions.values(), ...this.backwardSessions.values()]) void s.then((x) => x.session.release());
    this.forwardSessions.clear();
    this.backwardSessions.clear();
  }
}
