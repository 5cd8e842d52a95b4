// The Engine interface on onnxruntime-node (native CPU kernels on all cores, or CUDA): the forward and the
// input-gradient graphs are built in memory from the spec and the Keras weights (onnx-graph.ts), each
// session once per (layers, pre/post-ReLU) and reused. A linear objective's declared gradient goes
// straight into the gradient graph; any other objective gets the activation first and returns its
// gradient (its own `evaluate`, else tfjs's autodiff).
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import type { Device } from './device.ts';
import { autodiff, linearValues } from './objective-eval.ts';
import { loadOrt, type OrtModule, ortSessionOptions } from './ort.ts';
import type { ActivationOptions, Engine, InputGradient, NdArray, Objective } from './engine.ts';
import { availableLayers, type KerasWeights } from './keras-h5.ts';
import { buildForward, buildGradient } from './onnx-graph.ts';
import { layerShapes, type ModelSpec } from './spec.ts';
import { requireLayers } from './weights-check.ts';

export function ortEngineName(device: Device): string {
  return device === 'cuda' ? 'onnxruntime-cuda' : 'onnxruntime';
}

interface ForwardSession {
  session: Ort.InferenceSession;
  outputs: Map<string, string>;
}

export interface OrtEngineOptions {
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Execution provider, already selected (device.ts's selectDevice); default the CPU. */
  device?: Device;
}

export class OrtEngine implements Engine {
  /** 'onnxruntime' or 'onnxruntime-cuda': the device is part of the engine's identity (its numbers differ in the last bits). */
  readonly name: string;
  private readonly available: string[];
  private readonly forwardSessions = new Map<string, Promise<ForwardSession>>();
  private readonly gradientSessions = new Map<string, Promise<Ort.InferenceSession>>();

  private constructor(
    readonly spec: ModelSpec,
    private readonly weights: Pick<KerasWeights, 'layers'>,
    private readonly ort: OrtModule,
    private readonly threads: number,
    readonly device: Device,
  ) {
    this.available = availableLayers(spec, weights);
    this.name = ortEngineName(device);
  }

  static async create(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, opts: OrtEngineOptions = {}): Promise<OrtEngine> {
    return new OrtEngine(spec, weights, await loadOrt(), opts.threads ?? availableParallelism(), opts.device ?? 'cpu');
  }

  layers(): string[] {
    return [...this.available];
  }

  private check(layers: string[]): void {
    requireLayers(this.spec, this.available, layers);
  }

  private sessionOptions(): Ort.InferenceSession.SessionOptions {
    return ortSessionOptions(this.threads, this.device);
  }

  private forward(layers: string[], preRelu: boolean): Promise<ForwardSession> {
    const key = `${layers.join(',')}|${preRelu}`;
    let s = this.forwardSessions.get(key);
    if (!s) {
      const g = buildForward(this.spec, this.weights.layers, layers, preRelu);
      s = this.ort.InferenceSession.create(g.bytes, this.sessionOptions()).then((session) => ({ session, outputs: g.outputs }));
      this.forwardSessions.set(key, s);
    }
    return s;
  }

  private gradient(layer: string, preRelu: boolean): Promise<Ort.InferenceSession> {
    const key = `${layer}|${preRelu}`;
    let s = this.gradientSessions.get(key);
    if (!s) {
      s = this.ort.InferenceSession.create(buildGradient(this.spec, this.weights.layers, layer, preRelu).bytes, this.sessionOptions());
      this.gradientSessions.set(key, s);
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
    const session = await this.gradient(layer, preRelu);
    // A linear objective's gradient is known before the forward pass: one session run does it all.
    // Otherwise the activation comes first, then the objective's gradient (its own shortcut, or tfjs).
    let dAct: Float32Array;
    let values: Float32Array | null = null;
    let shape: number[];
    if (objective.linear) {
      shape = [images.shape[0], ...layerShapes(this.spec, [images.shape[1], images.shape[2]]).get(layer)!];
      dAct = objective.linear(shape);
    } else {
      const act = (await this.activations(images, [layer], opts)).get(layer)!;
      shape = act.shape;
      ({ values, grad: dAct } = objective.evaluate ? await objective.evaluate(act, { device: this.device }) : autodiff(objective, act));
    }
    const res = await session.run({ images: this.imagesTensor(images), grad: new this.ort.Tensor('float32', dAct, shape) });
    const out = res.input_grad;
    if (!values) values = linearValues({ data: res.activation.data as Float32Array, shape }, dAct);
    return { grad: { data: out.data as Float32Array, shape: out.dims.map(Number) }, values };
  }

  dispose(): void {
    // A session that failed to build (e.g. on a CUDA provider that cannot start) has nothing to release.
    const none = () => undefined;
    for (const s of this.forwardSessions.values()) void s.then((x) => x.session.release(), none);
    for (const s of this.gradientSessions.values()) void s.then((x) => x.release(), none);
    this.forwardSessions.clear();
    this.gradientSessions.clear();
  }
}
