// The image side as two ONNX graphs on onnxruntime: forward (spectra -> RGB) and its hand-written
// adjoint (d rgb -> d spectra). With img = Ch wr - Sh wi, wr = xr Cw - xi Sw, wi = xr Sw + xi Cw (the
// separable inverse DFT of param.ts, Ch and Sh symmetric), the adjoint is made of the transposed
// products; the sigmoid's derivative comes from the forward output, so nothing is recomputed.
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { FLOAT, GraphBuilder } from '../model/onnx-builder.ts';
import { ortSessionOptions } from '../model/ort.ts';
import { DECORRELATED_TO_RGB } from './color.ts';
import type { ImageModel } from './image-model.ts';
import { idftMatrixData, spectrumScale, spectrumShape } from './param.ts';

type OrtModule = typeof Ort;

/** Row-major transpose of an r x c matrix. */
function transpose(m: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = m[i * c + j];
  return out;
}

/** The colour matrix with Lucid's /4 folded in (exact: a power of two), so that rgb = t_planes @ colour. */
function colourMatrix(): Float32Array {
  return DECORRELATED_TO_RGB.map((v) => v / 4);
}

function buildForward(size: number, decay: number): Uint8Array {
  const g = new GraphBuilder();
  const wl = Math.floor(size / 2) + 1;
  const m = idftMatrixData(size, size);
  const spectrum = g.input('spectrum', FLOAT, [2, 'B', size, wl]);
  const scaled = g.op('Mul', [spectrum, g.floats('scale', spectrumScale(size, size, decay), [size, wl])]);
  const xr = g.op('Gather', [scaled, g.ints('zero', [0], [])], { axis: 0 });
  const xi = g.op('Gather', [scaled, g.ints('one', [1], [])], { axis: 0 });
  const cw = g.floats('cw', m.cw, [wl, size]);
  const sw = g.floats('sw', m.sw, [wl, size]);
  const wr = g.op('Sub', [g.op('MatMul', [xr, cw]), g.op('MatMul', [xi, sw])]);
  const wi = g.op('Add', [g.op('MatMul', [xr, sw]), g.op('MatMul', [xi, cw])]);
  const planes = g.op('Sub', [g.op('MatMul', [g.floats('ch', m.ch, [size, size]), wr]), g.op('MatMul', [g.floats('sh', m.sh, [size, size]), wi])]);
  const nhwc = g.op('Transpose', [g.op('Reshape', [planes, g.ints('planes_shape', [-1, 3, size, size])])], { perm: [0, 2, 3, 1] });
  g.output(g.op('Sigmoid', [g.op('MatMul', [nhwc, g.floats('colour', colourMatrix(), [3, 3])])]), 'rgb');
  return g.encode(['rgb']);
}

function buildBackward(size: number, decay: number): Uint8Array {
  const g = new GraphBuilder();
  const wl = Math.floor(size / 2) + 1;
  const m = idftMatrixData(size, size);
  const rgb = g.input('rgb', FLOAT, ['N', size, size, 3]);
  const dRgb = g.input('grad', FLOAT, ['N', size, size, 3]);
  // Sigmoid: s' = s (1 - s). Colour: rgb_pre = t @ C, so dt = d @ C^T.
  const one = g.floats('one_f', Float32Array.of(1), []);
  const dPre = g.op('Mul', [dRgb, g.op('Mul', [rgb, g.op('Sub', [one, rgb])])]);
  const dT = g.op('MatMul', [dPre, g.floats('colour_t', transpose(colourMatrix(), 3, 3), [3, 3])]);
  const dPlanes = g.op('Reshape', [g.op('Transpose', [dT], { perm: [0, 3, 1, 2] }), g.ints('planes_shape', [-1, size, size])]);
  // planes = Ch wr - Sh wi (Ch, Sh symmetric): dwr = Ch dplanes, dwi = -Sh dplanes.
  const dwr = g.op('MatMul', [g.floats('ch', m.ch, [size, size]), dPlanes]);
  const dwiNeg = g.op('MatMul', [g.floats('sh', m.sh, [size, size]), dPlanes]);
  // wr = xr Cw - xi Sw, wi = xr Sw + xi Cw: dxr = dwr Cw^T + dwi Sw^T, dxi = -dwr Sw^T + dwi Cw^T.
  const cwT = g.floats('cw_t', transpose(m.cw, wl, size), [size, wl]);
  const swT = g.floats('sw_t', transpose(m.sw, wl, size), [size, wl]);
  const dxr = g.op('Sub', [g.op('MatMul', [dwr, cwT]), g.op('MatMul', [dwiNeg, swT])]);
  const dxi = g.op('Neg', [g.op('Add', [g.op('MatMul', [dwr, swT]), g.op('MatMul', [dwiNeg, cwT])])]);
  const axis0 = g.ints('axis0', [0]);
  const stacked = g.op('Concat', [g.op('Unsqueeze', [dxr, axis0]), g.op('Unsqueeze', [dxi, axis0])], { axis: 0 });
  g.output(g.op('Mul', [stacked, g.floats('scale', spectrumScale(size, size, decay), [size, wl])]), 'spectrum_grad');
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
