// The image side as two onnxruntime sessions: forward (spectra -> RGB) and its adjoint (d rgb -> d
// spectra), both from image-ir.ts's graph, the adjoint by the differentiator that also derives the
// network's gradient graphs.
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { emitBackward } from '../model/autodiff.ts';
import { emitForward, ValueMap } from '../model/ir-emit.ts';
import { inferShapes } from '../model/ir-shapes.ts';
import { FLOAT, GraphBuilder } from '../model/onnx-builder.ts';
import { ortSessionOptions } from '../model/ort.ts';
import { IMAGE_INPUT, IMAGE_OUTPUT, imageIr } from './image-ir.ts';
import type { ImageModel } from './image-model.ts';
import { spectrumShape } from './param.ts';

type OrtModule = typeof Ort;

function buildForward(size: number, decay: number): Uint8Array {
  const ir = imageIr(size, decay);
  const g = new GraphBuilder();
  const values = emitForward(g, ir, g.input(IMAGE_INPUT, FLOAT, [2, 'B', size, Math.floor(size / 2) + 1]), [IMAGE_OUTPUT]);
  g.output(values.get(IMAGE_OUTPUT), 'rgb');
  return g.encode(['rgb']);
}

/**
 * The adjoint alone: the forward output (the image) is fed in, so no forward value is recomputed
 * (the rules read only it and constants: the sigmoid's derivative comes from its output).
 */
function buildBackward(size: number, decay: number): Uint8Array {
  const ir = imageIr(size, decay);
  const g = new GraphBuilder();
  const values = new ValueMap(g, ir);
  values.set(IMAGE_OUTPUT, g.input('rgb', FLOAT, ['N', size, size, 3]));
  const shapes = inferShapes(ir, [2, 3, size, Math.floor(size / 2) + 1]);
  g.output(emitBackward(g, ir, values, shapes, IMAGE_OUTPUT, g.input('grad', FLOAT, ['N', size, size, 3])), 'spectrum_grad');
  return g.encode(['spectrum_grad']);
}

/** Sessions depend on the size and decay only (the batch is dynamic), so they are built once per process. */
const sessions = new Map<string, Promise<{ forward: Ort.InferenceSession; backward: Ort.InferenceSession }>>();

export class OrtImageModel implements ImageModel {
  readonly name = 'onnxruntime';

  private constructor(
    private readonly ort: OrtModule,
    private readonly s: { forward: Ort.InferenceSession; backward: Ort.InferenceSession },
    private readonly n: number,
    private readonly size: number,
  ) {}

  static async create(ort: OrtModule, n: number, size: number, decay: number): Promise<OrtImageModel> {
    const key = `${size}|${decay}`;
    let s = sessions.get(key);
    if (!s) {
      const opts = ortSessionOptions(availableParallelism());
      s = Promise.all([ort.InferenceSession.create(buildForward(size, decay), opts), ort.InferenceSession.create(buildBackward(size, decay), opts)]).then(([forward, backward]) => ({ forward, backward }));
      sessions.set(key, s);
      s.catch(() => sessions.delete(key));
    }
    return new OrtImageModel(ort, await s, n, size);
  }

  async forward(spectrum: Float32Array): Promise<Float32Array> {
    const res = await this.s.forward.run({ spectrum: new this.ort.Tensor('float32', spectrum, spectrumShape(this.n, this.size, this.size)) });
    return res.rgb.data as Float32Array;
  }

  async backward(_spectrum: Float32Array, rgb: Float32Array, dRgb: Float32Array): Promise<Float32Array> {
    const shape = [this.n, this.size, this.size, 3];
    const res = await this.s.backward.run({ rgb: new this.ort.Tensor('float32', rgb, shape), grad: new this.ort.Tensor('float32', dRgb, shape) });
    return res.spectrum_grad.data as Float32Array;
  }

  /** Sessions are shared and kept for the process's life (they are small: a few DFT matrices). */
  dispose(): void {}
}
