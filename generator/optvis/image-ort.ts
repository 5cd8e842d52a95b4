// Image sides as two onnxruntime sessions each: forward (params -> RGB) and its adjoint (d rgb -> d
// params), both from a graph of the IR (image-ir.ts: Lucid's Fourier spectra; maco-ir.ts: MACO's
// phase), the adjoint by the differentiator that also derives the network's gradient graphs.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { emitBackward } from '../model/autodiff.ts';
import type { IrGraph } from '../model/ir.ts';
import { emitForward, ValueMap } from '../model/ir-emit.ts';
import { inferShapes } from '../model/ir-shapes.ts';
import { FLOAT, GraphBuilder } from '../model/onnx-builder.ts';
import { ortSessionOptions } from '../model/ort.ts';
import { IMAGE_OUTPUT, imageIr } from './image-ir.ts';
import type { ImageModel } from './image-model.ts';
import { macoIr } from './maco-ir.ts';
import { spectrumShape } from './param.ts';

type OrtModule = typeof Ort;

/** An image side's graph and the dims of its input: in the ONNX graph ('B' free), for shapes, for n images. */
interface ImageGraph {
  key: string;
  ir: IrGraph;
  size: number;
  symbolicDims: Array<number | string>;
  shapeDims: number[];
  runDims: (n: number) => number[];
  /**
   * The adjoint reads only the forward output (fed in) and constants, so nothing is recomputed (the
   * Fourier side: its rules read the sigmoid's output alone); else it recomputes the forward pass from
   * the parameters (MACO's cos, sin and standardizations read their inputs).
   */
  fromOutput: boolean;
}

function fourierGraph(size: number, decay: number): ImageGraph {
  const wl = Math.floor(size / 2) + 1;
  return { key: `fourier|${size}|${decay}`, ir: imageIr(size, decay), size, symbolicDims: [2, 'B', size, wl], shapeDims: [2, 3, size, wl], runDims: (n) => spectrumShape(n, size, size), fromOutput: true };
}

function macoGraph(size: number, magnitude: Float32Array): ImageGraph {
  const wl = Math.floor(size / 2) + 1;
  const digest = createHash('sha256').update(new Uint8Array(magnitude.buffer, magnitude.byteOffset, magnitude.byteLength)).digest('hex');
  return { key: `maco|${size}|${digest}`, ir: macoIr(size, magnitude), size, symbolicDims: ['B', 3, size, wl], shapeDims: [1, 3, size, wl], runDims: (n) => [n, 3, size, wl], fromOutput: false };
}

function buildForward(s: ImageGraph): Uint8Array {
  const g = new GraphBuilder();
  const values = emitForward(g, s.ir, g.input(s.ir.input, FLOAT, s.symbolicDims), [IMAGE_OUTPUT]);
  g.output(values.get(IMAGE_OUTPUT), 'rgb');
  return g.encode(['rgb']);
}

function buildBackward(s: ImageGraph): Uint8Array {
  const { ir, size } = s;
  const g = new GraphBuilder();
  let values: ValueMap;
  if (s.fromOutput) {
    values = new ValueMap(g, ir);
    values.set(IMAGE_OUTPUT, g.input('rgb', FLOAT, ['N', size, size, 3]));
  } else {
    values = emitForward(g, ir, g.input(ir.input, FLOAT, s.symbolicDims), [IMAGE_OUTPUT]);
  }
  const shapes = inferShapes(ir, s.shapeDims);
  const out = `${ir.input}_grad`;
  g.output(emitBackward(g, ir, values, shapes, IMAGE_OUTPUT, g.input('grad', FLOAT, ['N', size, size, 3])), out);
  return g.encode([out]);
}

interface Sessions {
  forward: Ort.InferenceSession;
  backward: Ort.InferenceSession;
}

/** Sessions depend on the graph only (the batch is dynamic), so they are built once per process. */
const sessions = new Map<string, Promise<Sessions>>();

export class OrtImageModel implements ImageModel {
  readonly name = 'onnxruntime';

  private constructor(
    private readonly ort: OrtModule,
    private readonly s: Sessions,
    private readonly graph: ImageGraph,
    private readonly n: number,
  ) {}

  private static async open(ort: OrtModule, graph: ImageGraph, n: number): Promise<OrtImageModel> {
    let s = sessions.get(graph.key);
    if (!s) {
      const opts = ortSessionOptions(availableParallelism());
      s = Promise.all([ort.InferenceSession.create(buildForward(graph), opts), ort.InferenceSession.create(buildBackward(graph), opts)]).then(([forward, backward]) => ({ forward, backward }));
      sessions.set(graph.key, s);
      s.catch(() => sessions.delete(graph.key));
    }
    return new OrtImageModel(ort, await s, graph, n);
  }

  /** Lucid's Fourier image side: spectra [2, n*3, size, size/2+1]. */
  static create(ort: OrtModule, n: number, size: number, decay: number): Promise<OrtImageModel> {
    return OrtImageModel.open(ort, fourierGraph(size, decay), n);
  }

  /** MACO's image side: phases [n, 3, size, size/2+1] with a fixed magnitude [3, size, size/2+1]. */
  static maco(ort: OrtModule, n: number, size: number, magnitude: Float32Array): Promise<OrtImageModel> {
    return OrtImageModel.open(ort, macoGraph(size, magnitude), n);
  }

  private tensor(data: Float32Array, dims: number[]): Ort.Tensor {
    return new this.ort.Tensor('float32', data, dims);
  }

  async forward(params: Float32Array): Promise<Float32Array> {
    const res = await this.s.forward.run({ [this.graph.ir.input]: this.tensor(params, this.graph.runDims(this.n)) });
    return res.rgb.data as Float32Array;
  }

  async backward(params: Float32Array, rgb: Float32Array, dRgb: Float32Array): Promise<Float32Array> {
    const { ir, size, fromOutput } = this.graph;
    const shape = [this.n, size, size, 3];
    const feeds: Record<string, Ort.Tensor> = { grad: this.tensor(dRgb, shape) };
    if (fromOutput) feeds.rgb = this.tensor(rgb, shape);
    else feeds[ir.input] = this.tensor(params, this.graph.runDims(this.n));
    const res = await this.s.backward.run(feeds);
    return res[`${ir.input}_grad`].data as Float32Array;
  }

  /** Sessions are shared and kept for the process's life (they are small: a few DFT matrices). */
  dispose(): void {}
}
