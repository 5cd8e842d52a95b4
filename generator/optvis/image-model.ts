// The image side of feature visualization: Fourier spectra -> inverse DFT -> decorrelated colour ->
// sigmoid -> RGB in (0, 1), and its adjoint. It runs on every step next to the network, so it has two
// implementations: ONNX graphs on onnxruntime (multi-threaded native matrix products; the default when
// onnxruntime loads) and tfjs (the fallback, differentiated by tfjs). Both take and return typed arrays,
// so the optimizer and the transforms are plain loops. MACO's image side (phase -> RGB, maco-ir.ts) runs
// on onnxruntime only: its adjoint comes from the differentiator, and there is no tfjs copy of it.
import * as tf from '@tensorflow/tfjs';
import { AtlasError } from '../errors.ts';
import { errorLine, warnFallback } from '../log.ts';
import { loadOrt } from '../model/ort.ts';
import { decorrelatedToRgb } from './color.ts';
import { idftMatrices, irfft2d, spectrumScale, spectrumShape } from './param.ts';

export interface ImageModel {
  readonly name: 'onnxruntime' | 'tfjs';
  /** Spectra [2, n*3, h, w/2+1] -> RGB images [n, h, w, 3] in (0, 1). */
  forward(spectrum: Float32Array): Promise<Float32Array>;
  /** d(objective)/d(spectra) from d(objective)/d(rgb); `rgb` is forward(spectrum). */
  backward(spectrum: Float32Array, rgb: Float32Array, dRgb: Float32Array): Promise<Float32Array>;
  dispose(): void;
}

export type ImageModelChoice = 'auto' | 'onnxruntime' | 'tfjs';

export interface ImageModelOptions {
  /** Spectrum decay exponent (Lucid: 1). */
  decay?: number;
  /** auto: onnxruntime when it loads, else tfjs. */
  use?: ImageModelChoice;
}

/** What `auto` becomes on this machine (recorded with each visualization: the two differ in the last bits). */
export async function resolveImageModel(use: ImageModelChoice = 'auto'): Promise<'onnxruntime' | 'tfjs'> {
  if (use !== 'auto') return use;
  try {
    await loadOrt();
    return 'onnxruntime';
  } catch (e) {
    warnFallback(`the onnxruntime image side cannot be used (${errorLine(e)})`, 'the tfjs image side of feature visualization');
    return 'tfjs';
  }
}

export async function createImageModel(n: number, size: number, opts: ImageModelOptions = {}): Promise<ImageModel> {
  const use = opts.use ?? 'auto';
  if (use !== 'tfjs') {
    try {
      const { OrtImageModel } = await import('./image-ort.ts');
      return await OrtImageModel.create(await loadOrt(), n, size, opts.decay ?? 1);
    } catch (e) {
      if (use === 'onnxruntime') throw e instanceof AtlasError ? e : new AtlasError(`the onnxruntime image model failed: ${(e as Error).message}`);
      warnFallback(`the onnxruntime image side cannot be used (${errorLine(e)})`, 'the tfjs image side of feature visualization');
    }
  }
  return new TfjsImageModel(n, size, opts.decay ?? 1);
}

/** MACO's image side for n images of side `size` and a magnitude [3, size, size/2+1]; needs onnxruntime. */
export async function createMacoImageModel(n: number, size: number, magnitude: Float32Array): Promise<ImageModel> {
  let ort;
  try {
    ort = await loadOrt();
  } catch (e) {
    throw new AtlasError(
      `MACO feature visualization needs onnxruntime, which cannot be loaded here (${errorLine(e)})`,
      'reinstall onnxruntime-node (npm ci), or use the Fourier parametrization (--param fourier; recipes full and grid), which falls back to tfjs',
    );
  }
  const { OrtImageModel } = await import('./image-ort.ts');
  return OrtImageModel.maco(ort, n, size, magnitude);
}

/** The tfjs implementation: the forward as tfjs ops, the backward by tfjs's autodiff. */
export class TfjsImageModel implements ImageModel {
  readonly name = 'tfjs';
  private readonly scale: tf.Tensor3D;
  private readonly m: ReturnType<typeof idftMatrices>;
  private readonly shape: [number, number, number, number];

  constructor(
    private readonly n: number,
    private readonly size: number,
    decay: number,
  ) {
    this.shape = spectrumShape(n, size, size);
    this.scale = tf.tensor3d(spectrumScale(size, size, decay), [1, size, this.shape[3]]);
    this.m = idftMatrices(size, size);
  }

  private rgb(spectrum: tf.Tensor4D): tf.Tensor4D {
    const { n, size } = this;
    const [re, im] = tf.unstack(spectrum) as [tf.Tensor3D, tf.Tensor3D];
    const planes = irfft2d(tf.mul(re, this.scale) as tf.Tensor3D, tf.mul(im, this.scale) as tf.Tensor3D, this.m); // [n*3, h, w]
    // Lucid divides the image by 4 so that the sigmoid starts near its linear part.
    const t = tf.div(tf.transpose(tf.reshape(planes, [n, 3, size, size]), [0, 2, 3, 1]), 4) as tf.Tensor4D;
    return tf.sigmoid(decorrelatedToRgb(t));
  }

  async forward(spectrum: Float32Array): Promise<Float32Array> {
    const out = tf.tidy(() => this.rgb(tf.tensor4d(spectrum, this.shape)));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  async backward(spectrum: Float32Array, _rgb: Float32Array, dRgb: Float32Array): Promise<Float32Array> {
    const g = tf.tidy(() => {
      const d = tf.tensor4d(dRgb, [this.n, this.size, this.size, 3]);
      return tf.grad((s: tf.Tensor) => tf.sum(tf.mul(this.rgb(s as tf.Tensor4D), d)))(tf.tensor4d(spectrum, this.shape));
    });
    const data = (await g.data()) as Float32Array;
    g.dispose();
    return data;
  }

  dispose(): void {
    this.scale.dispose();
    for (const t of Object.values(this.m)) t.dispose();
  }
}
