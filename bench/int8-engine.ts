// An engine whose linear-objective gradients run the int8 graph of int8-graph.ts (npm run bench -- int8,
// BENCH_INT8_RENDER=1: what int8 would do to the grid recipe's images); everything else is the wrapped
// onnxruntime engine's. Not used by the generator. Each conv's output scale is state: calibrated on an fp32
// run at a render's first step, then rescaled after every step from the u8 range the step used (doubled when
// it saturated), so that the next step's largest value uses about 90% of the range.
import type { Engine, InputGradient, NdArray, Objective, ActivationOptions } from '../generator/model/engine.ts';
import { linearValues } from '../generator/model/objective-eval.ts';
import type { NetworkGraphs } from '../generator/model/ort-engine.ts';
import { ortSessionOptions, type OrtModule } from '../generator/model/ort.ts';
import { layerShapes } from '../generator/model/spec.ts';
import { calibrate, quantizeConvs, withCalibrationOutputs, type Int8Graph } from './int8-graph.ts';

type Session = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;

interface Sessions {
  graph: Int8Graph;
  int8: Session;
  calibration: Session;
}

export class Int8Engine implements Engine {
  readonly name = 'onnxruntime-int8';
  private readonly sessions = new Map<string, Promise<Sessions>>();
  /** Scales per layer and channel set: a new set of units is a new render, which starts from noise. */
  private readonly scales = new Map<string, Float32Array>();
  private readonly grads = new WeakMap<Objective, Map<string, Float32Array>>();

  constructor(
    private readonly inner: Engine,
    private readonly graphs: NetworkGraphs,
    private readonly ort: OrtModule,
    private readonly threads: number,
  ) {}

  get spec() {
    return this.inner.spec;
  }
  layers(): string[] {
    return this.inner.layers();
  }
  activations(images: NdArray, layers: string[], opts?: ActivationOptions): Promise<Map<string, NdArray>> {
    return this.inner.activations(images, layers, opts);
  }
  dispose(): void {
    for (const s of this.sessions.values()) void s.then((x) => Promise.all([x.int8.release(), x.calibration.release()]));
    this.inner.dispose();
  }

  /** A linear objective's gradient restricted to its channels (constant for a shape: cached, as the wrapped engine does). */
  private linearGrad(objective: Objective, full: number[], channels: readonly number[]): Float32Array {
    const key = `${full.join('x')}|${channels.join(',')}`;
    let g = this.grads.get(objective)?.get(key);
    if (!g) {
      g = objective.linear!(full, channels);
      if (!this.grads.has(objective)) this.grads.set(objective, new Map());
      this.grads.get(objective)!.set(key, g);
    }
    return g;
  }

  private sessionsFor(layer: string, channels: readonly number[], hw: [number, number], batch: number): Promise<Sessions> {
    const key = `${batch}x${hw.join('x')}|${layer}|${channels.length}`;
    let s = this.sessions.get(key);
    if (!s) {
      const bytes = this.graphs.gradient(layer, 'pre', channels, hw, batch).bytes;
      const graph = quantizeConvs(bytes, { chainBackward: true, rangeOutputs: true });
      const opts = ortSessionOptions(this.threads);
      s = Promise.all([this.ort.InferenceSession.create(graph.bytes, opts), this.ort.InferenceSession.create(withCalibrationOutputs(bytes, graph.scales), opts)]).then(([int8, calibration]) => ({ graph, int8, calibration }));
      this.sessions.set(key, s);
    }
    return s;
  }

  async inputGradient(images: NdArray, layer: string, objective: Objective, opts: ActivationOptions = {}): Promise<InputGradient> {
    const channels = objective.channels;
    if (!objective.linear || !channels || !opts.preRelu) return this.inner.inputGradient(images, layer, objective, opts);
    const [n, h, w] = images.shape;
    const full = [n, ...layerShapes(this.spec, [h, w]).get(layer)!];
    const shape = [...full.slice(0, 3), channels.length];
    const dAct = this.linearGrad(objective, full, channels);
    const s = await this.sessionsFor(layer, channels, [h, w], n);
    const feeds: Record<string, InstanceType<OrtModule['Tensor']>> = {
      images: new this.ort.Tensor('float32', images.data, images.shape),
      grad: new this.ort.Tensor('float32', dAct, shape),
    };
    for (const [name, v] of this.graphs.feeds(layer, channels)) feeds[name] = new this.ort.Tensor('float32', v.data, v.dims);
    const stateKey = `${layer}|${channels.join(',')}`;
    let scales = this.scales.get(stateKey);
    if (!scales) {
      const cal = await s.calibration.run(feeds);
      scales = calibrate(s.graph.scales, cal);
      this.scales.set(stateKey, scales);
    }
    s.graph.scales.forEach((sc, i) => (feeds[sc.input] = new this.ort.Tensor('float32', Float32Array.of(scales[i]), [])));
    const res = await s.int8.run(feeds);
    s.graph.scales.forEach((sc, i) => {
      const hi = (res[`${sc.input}_hi`].data as Uint8Array)[0];
      const lo = (res[`${sc.input}_lo`].data as Uint8Array)[0];
      const used = sc.levels === 255 ? hi / 255 : Math.max(hi - 128, 128 - lo) / 127;
      if (used >= 1) scales[i] *= 2;
      else if (used > 0) scales[i] *= used * 1.1;
    });
    return { grad: { data: res.input_grad.data as Float32Array, shape: [...images.shape] }, values: linearValues({ data: res.activation.data as Float32Array, shape }, dAct) };
  }
}
