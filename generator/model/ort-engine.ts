// The Engine interface on onnxruntime-node (native CPU kernels on all cores, or CUDA): the forward and the
// input-gradient graphs are built in memory from the model's graph IR (graph-net.ts, autodiff.ts), each
// session once per (layers, pre/post-ReLU) and reused. A linear objective's declared gradient goes
// straight into the gradient graph; any other objective gets the activation first and returns its
// gradient (its own `evaluate`, else tfjs's autodiff).
import { availableParallelism, totalmem } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import type { Device } from './device.ts';
import { autodiff, linearValues, redirects } from './objective-eval.ts';
import { deviceForGraph, loadOrt, type OrtModule, ortSessionOptions } from './ort.ts';
import type { ActivationOptions, Engine, InputGradient, NdArray, Objective } from './engine.ts';
import type { KerasWeights } from './keras-h5.ts';
import { type ForwardGraph, kerasGraphs } from './graph-net.ts';
import { cropNhwc, inputWindow, type InputWindow, pasteNhwc, support } from './input-window.ts';
import { layerShapes, type ModelSpec } from './spec.ts';
import { requireLayers } from './weights-check.ts';

export function ortEngineName(device: Device): string {
  return device === 'cpu' ? 'onnxruntime' : `onnxruntime-${device}`;
}

/**
 * Where a gradient graph's seed enters: the layer's pre-ReLU value, its post-ReLU one, or the pre-ReLU one
 * through the ReLU's mask except for the views the objective finds silent (ActivationOptions.redirect).
 */
export type GradientAt = 'pre' | 'post' | 'redirect';

/** Where an engine's graphs come from: a sequential spec with Keras weights, or an imported graph (graph-net.ts). */
export interface NetworkGraphs {
  /** Layers the weights make computable, in order. */
  available: string[];
  forward(layers: string[], preRelu: boolean): ForwardGraph;
  /**
   * Pruned to `channels` of a conv `layer` when given (sequential specs only, see `prunes`); for `inputHW`
   * when `sized`, and for `batch` images when given (else any batch). The pruned conv's weights are graph
   * inputs, fed each run with `feeds`, so the graph depends on the number of channels only and its session
   * serves any channel set of that size.
   */
  gradient(layer: string, at: GradientAt, channels: readonly number[] | undefined, inputHW: readonly [number, number], batch?: number): { bytes: Uint8Array };
  /** The inputs a gradient graph pruned to `channels` of `layer` is fed with, by graph input name. */
  feeds(layer: string, channels: readonly number[]): Map<string, { data: Float32Array; dims: number[] }>;
  prunes: boolean;
  /** Gradient graphs are built per input size (static shapes), so sessions are cached per size too. */
  sized: boolean;
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
  /**
   * Prune gradient graphs to the channels a linear objective touches (default true; false for the
   * bench's "before" and the tests that compare the two).
   */
  pruneChannels?: boolean;
  /**
   * Run a linear objective that reads few positions (neuron) on the input window they depend on
   * (input-window.ts; default true with pruneChannels; false for the tests and bench that compare).
   */
  pruneWindows?: boolean;
  /** Budget of the pruned gradient sessions kept, in input pixels (default prunedPixelBudget(): what memory allows; tests set less). */
  keepPixels?: number;
  /** Engines running at once on this machine (one per worker thread): the default budget is split between them. */
  engines?: number;
}

/** A gradient session and the runs in flight on it (an evicted session is released after its last run). */
interface GradientEntry {
  session: Promise<Ort.InferenceSession>;
  busy: number;
  evicted: boolean;
  /** Input pixels of its last run (batch x height x width). */
  pixels: number;
}

/**
 * Pruned gradient sessions kept per engine, by the input pixels (batch x side x side) they were last run
 * on, which is what their activation memory grows with. A session bakes in its input side (the
 * differentiator sizes adjoints statically), its batch width and its number of channels; the pruned conv's weights are fed
 * per run (every other conv keeps constant weights and onnxruntime's NCHWc layout), so one session per
 * side the transforms produce (11 with Lucid's scales) serves every batch of a layer atlas: baking in the
 * channel set instead rebuilt 11 sessions a batch. A session that is evicted and asked for again costs a
 * rebuild (0.3-0.7 s at 128 px, batch 4), so the budget is what memory allows: its onnxruntime arena holds
 * about 4.6 KB per input pixel (block3_conv4, batch 4: all 11 sides of the full recipe, 866k pixels, peak
 * RSS 4.2 GB against 1.8 with 4 of them kept), and keeping every side ran a batch of 4 at the full recipe
 * 1.9-2.2x faster (block3_conv3 and block3_conv4, AMD EPYC with AVX-512, 2026-12-04).
 */
const SESSION_BYTES_PER_PIXEL = 4700;
/** Share of the machine's memory the kept sessions of one process may take. */
const SESSION_MEMORY_SHARE = 0.25;
/** Never fewer than 4 full-recipe sessions (batch 4, sides up to 144 px), nor a grid batch's 11 sides. */
const MIN_PRUNED_PIXELS = 4 * 4 * 144 * 144;

/** The machine's memory, or the container's limit when lower (process.constrainedMemory: 0 or 2^64 when none). */
function machineMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < totalmem() ? limit : totalmem();
}

/**
 * The pixel budget of the pruned sessions an engine keeps: a quarter of `memory` shared by `engines`
 * engines (worker threads each have one), at least MIN_PRUNED_PIXELS.
 */
export function prunedPixelBudget(memory = machineMemory(), engines = 1): number {
  return Math.max(MIN_PRUNED_PIXELS, Math.floor((memory * SESSION_MEMORY_SHARE) / engines / SESSION_BYTES_PER_PIXEL));
}

export class OrtEngine implements Engine {
  /** 'onnxruntime', 'onnxruntime-cuda' or 'onnxruntime-webgpu': the device is part of the engine's identity (its numbers differ in the last bits). */
  readonly name: string;
  private readonly available: string[];
  private readonly forwardSessions = new Map<string, Promise<ForwardSession>>();
  private readonly gradientSessions = new Map<string, GradientEntry>();
  /** Linear objectives' input windows, per layer and input size (null: the whole input). */
  private readonly windowCache = new WeakMap<Objective, Map<string, InputWindow | null>>();
  /** Linear objectives' constant gradients, per activation shape (pruned to the objective's channels). */
  private readonly linearGrads = new WeakMap<Objective, Map<string, Float32Array>>();

  private constructor(
    readonly spec: ModelSpec,
    private readonly graphs: NetworkGraphs,
    private readonly ort: OrtModule,
    private readonly threads: number,
    readonly device: Device,
    private readonly prune: boolean,
    private readonly keepPixels: number,
    private readonly windows: boolean,
  ) {
    this.available = graphs.available;
    this.name = ortEngineName(device);
  }

  /** On a sequential spec's Keras weights. */
  static async create(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, opts: OrtEngineOptions = {}): Promise<OrtEngine> {
    return OrtEngine.fromGraphs(spec, kerasGraphs(spec, weights), opts);
  }

  static async fromGraphs(spec: ModelSpec, graphs: NetworkGraphs, opts: OrtEngineOptions = {}): Promise<OrtEngine> {
    const prune = (opts.pruneChannels ?? true) && graphs.prunes;
    return new OrtEngine(spec, graphs, await loadOrt(), opts.threads ?? availableParallelism(), opts.device ?? 'cpu', prune, opts.keepPixels ?? prunedPixelBudget(undefined, opts.engines), prune && (opts.pruneWindows ?? true));
  }

  layers(): string[] {
    return [...this.available];
  }

  private check(layers: string[]): void {
    requireLayers(this.spec, this.available, layers);
  }

  private sessionOptions(graph: Uint8Array): Ort.InferenceSession.SessionOptions {
    return ortSessionOptions(this.threads, deviceForGraph(this.device, graph));
  }

  private forward(layers: string[], preRelu: boolean): Promise<ForwardSession> {
    const key = `${layers.join(',')}|${preRelu}`;
    let s = this.forwardSessions.get(key);
    if (!s) {
      const g = this.graphs.forward(layers, preRelu);
      s = this.ort.InferenceSession.create(g.bytes, this.sessionOptions(g.bytes)).then((session) => ({ session, outputs: g.outputs }));
      this.forwardSessions.set(key, s);
    }
    return s;
  }

  /** The gradient session for `layer`, pruned to `channels` when given; cached (pruned ones within keepPixels, least recently used evicted). */
  private gradient(layer: string, at: GradientAt, channels: readonly number[] | null, inputHW: readonly [number, number], batch: number): GradientEntry {
    // Sized graphs are static in every dim, the batch included (graph-net.ts: what onnxruntime's NCHWc layout needs).
    const size = this.graphs.sized ? `${batch}x${inputHW.join('x')}|` : '';
    // A pruned session is fed its channels' weights (graph-net.ts), so it serves every set of that size.
    const key = `${size}${layer}|${at}|${channels ? `${channels.length} channels` : 'all'}`;
    let e = this.gradientSessions.get(key);
    if (e) {
      // Most recently used last, so eviction takes the oldest pruned session.
      this.gradientSessions.delete(key);
    } else {
      const bytes = this.graphs.gradient(layer, at, channels ?? undefined, inputHW, this.graphs.sized ? batch : undefined).bytes;
      e = { session: this.ort.InferenceSession.create(bytes, this.sessionOptions(bytes)), busy: 0, evicted: false, pixels: 0 };
    }
    e.pixels = batch * inputHW[0] * inputHW[1];
    this.gradientSessions.set(key, e);
    // Least recently used first; the one just asked for (last) always stays.
    const pruned = [...this.gradientSessions].filter(([k]) => !k.endsWith('|all'));
    let kept = pruned.reduce((sum, [, x]) => sum + x.pixels, 0);
    for (const [k, old] of pruned.slice(0, -1)) {
      if (kept <= this.keepPixels) break;
      kept -= old.pixels;
      this.gradientSessions.delete(k);
      old.evicted = true;
      if (old.busy === 0) void old.session.then((x) => x.release(), () => undefined);
    }
    return e;
  }

  /** A linear objective's gradient for an activation shape, restricted to `channels` (cached: it is constant). */
  private linearGrad(objective: Objective, shape: number[], channels: readonly number[] | null): Float32Array {
    let byShape = this.linearGrads.get(objective);
    if (!byShape) this.linearGrads.set(objective, (byShape = new Map()));
    const key = `${shape.join('x')}|${channels?.length ?? 'all'}`;
    let g = byShape.get(key);
    if (!g) {
      g = objective.linear!(shape, channels ?? undefined);
      byShape.set(key, g);
    }
    return g;
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
    // Redirecting reads each view's value inside the run: the seed's dot product with the activation.
    const at: GradientAt = opts.preRelu ? 'pre' : redirects(objective, opts) ? 'redirect' : 'post';
    // A linear objective's gradient is known before the forward pass: one session run does it all, on a
    // graph pruned to the channels it touches, and on the input window its positions read (input-window.ts).
    // Otherwise the activation comes first, then the objective's gradient (its own shortcut, or tfjs), on the full graph.
    const isConv = this.spec.layers.find((l) => l.name === layer)?.kind === 'conv';
    const channels = this.prune && isConv && objective.linear && objective.channels ? objective.channels : null;
    const inputHW: [number, number] = [images.shape[1], images.shape[2]];
    let dAct: Float32Array;
    let values: Float32Array | null = null;
    let shape: number[];
    let win: InputWindow | null = null;
    let x = images;
    if (objective.linear) {
      shape = [images.shape[0], ...layerShapes(this.spec, inputHW).get(layer)!];
      dAct = this.linearGrad(objective, shape, channels);
      if (channels) shape = [...shape.slice(0, 3), channels.length];
      win = this.windows && isConv ? this.windowOf(objective, layer, inputHW, dAct, shape) : null;
      if (win) {
        const [h, w] = layerShapes(this.spec, [win.height, win.width]).get(layer)!;
        dAct = cropNhwc(dAct, shape, win.row, win.col, h, w);
        shape = [shape[0], h, w, shape[3]];
        x = { data: cropNhwc(images.data, images.shape, win.top, win.left, win.height, win.width), shape: [images.shape[0], win.height, win.width, images.shape[3]] };
      }
    } else {
      const act = (await this.activations(images, [layer], opts)).get(layer)!;
      shape = act.shape;
      ({ values, grad: dAct } = objective.evaluate ? await objective.evaluate(act, { device: this.device }) : autodiff(objective, act));
    }
    const entry = this.gradient(layer, at, channels, [x.shape[1], x.shape[2]], x.shape[0]);
    entry.busy++;
    let res: Ort.InferenceSession.ReturnType;
    try {
      const session = await entry.session;
      const feeds: Record<string, Ort.Tensor> = { images: this.imagesTensor(x), grad: new this.ort.Tensor('float32', dAct, shape) };
      if (channels) for (const [name, v] of this.graphs.feeds(layer, channels)) feeds[name] = new this.ort.Tensor('float32', v.data, v.dims);
      res = await session.run(feeds);
    } finally {
      entry.busy--;
      if (entry.evicted && entry.busy === 0) void entry.session.then((s) => s.release(), () => undefined);
    }
    const out = res.input_grad.data as Float32Array;
    if (!values) values = linearValues({ data: res.activation.data as Float32Array, shape }, dAct);
    const grad = win ? pasteNhwc(out, images.shape, win.top, win.left, win.height, win.width) : out;
    return { grad: { data: grad, shape: [...images.shape] }, values };
  }

  /** The input window a linear objective's gradient (pruned to its channels) reads, per input size; null: the whole input. */
  private windowOf(objective: Objective, layer: string, inputHW: readonly [number, number], dAct: Float32Array, shape: number[]): InputWindow | null {
    let bySize = this.windowCache.get(objective);
    if (!bySize) this.windowCache.set(objective, (bySize = new Map()));
    const key = `${layer}|${inputHW.join('x')}|${shape.join('x')}`;
    if (!bySize.has(key)) {
      const at = support(dAct, shape);
      bySize.set(key, at && this.graphs.sized ? inputWindow(this.spec, layer, inputHW, at.rows, at.cols) : null);
    }
    return bySize.get(key)!;
  }

  dispose(): void {
    // A session that failed to build (e.g. on a CUDA provider that cannot start) has nothing to release.
    const none = () => undefined;
    for (const s of this.forwardSessions.values()) void s.then((x) => x.session.release(), none);
    for (const e of this.gradientSessions.values()) void e.session.then((x) => x.release(), none);
    this.forwardSessions.clear();
    this.gradientSessions.clear();
  }
}
