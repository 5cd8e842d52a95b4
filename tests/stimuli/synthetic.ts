// A one-layer network with hand-made 11x11 kernels whose answers are known, run by the real onnxruntime
// engine: the stimuli code sees it exactly as it sees VGG19 (spec receptive fields, caffe preprocessing,
// pre/post-ReLU).
import type { LayerWeights } from '../../generator/model/keras-h5.ts';
import { OrtEngine } from '../../generator/model/ort-engine.ts';
import type { ModelSpec } from '../../generator/model/spec.ts';
import { coverage } from '../../generator/stimuli/coverage.ts';

export const K = 11;
const C = (K - 1) / 2;

export const UNITS = {
  /** Bright on the right, dark on the left, Gaussian envelope: prefers an edge of orientation 0. */
  verticalEdge: 0,
  /** A bright vertical bar 3 px wide between dark flanks: prefers a line of orientation 90. */
  verticalLine: 1,
  /** Difference of Gaussians: isotropic, prefers a bright spot. */
  centreSurround: 2,
  /** A bright ring of radius 3.5 on a dark disc: prefers a ring. */
  ring: 3,
  /** A bright arc bulging right (orientation 0) through the centre: prefers that curve. */
  arc: 4,
  /** The edge detector turned by 90 degrees (bright above): prefers an edge of orientation 90. */
  horizontalEdge: 5,
} as const;

type Kernel = (dx: number, dy: number) => number;

/** Zero mean over the kernel's disc of radius 5.5, zero outside it. */
function zeroMeanDisc(f: Kernel): Kernel {
  let sum = 0;
  let n = 0;
  for (let y = -C; y <= C; y++)
    for (let x = -C; x <= C; x++)
      if (Math.hypot(x, y) <= 5.5) {
        sum += f(x, y);
        n++;
      }
  return (x, y) => (Math.hypot(x, y) <= 5.5 ? f(x, y) - sum / n : 0);
}

function fromCoverage(cov: Float32Array): Kernel {
  return (x, y) => cov[(y + C) * K + x + C];
}

const gauss = (x: number, s: number) => Math.exp(-(x * x) / (2 * s * s));

export const kernels: Kernel[] = [
  (x, y) => Math.sign(x) * gauss(Math.hypot(x, y), 3),
  (x, y) => (Math.abs(x) <= 1 ? 2 : Math.abs(x) <= 4 ? -1 : 0) * gauss(y, 4),
  (x, y) => gauss(Math.hypot(x, y), 1.2) / (1.2 * 1.2) - gauss(Math.hypot(x, y), 3.5) / (3.5 * 3.5),
  zeroMeanDisc(fromCoverage(coverage({ kind: 'circle', radius: 3.5, width: 1.5 }, K))),
  zeroMeanDisc(fromCoverage(coverage({ kind: 'arc', orientation: 0, curvature: 1 / 4, length: 8, width: 1.5 }, K))),
  (x, y) => -Math.sign(y) * gauss(Math.hypot(x, y), 3),
];

export const synthSpec: ModelSpec = {
  id: 'synth',
  name: 'one conv layer, hand-made kernels',
  inputSize: 32,
  layers: [{ name: 'conv', kind: 'conv', kernel: K, filters: kernels.length, activation: 'relu' }],
  preprocessing: { mode: 'caffe', mean: [103.939, 116.779, 123.68], range: 255 },
  weights: [],
};

/** Keras layout [k, k, in=3, out]: the same weights on R, G and B (a luminance filter), scaled to O(1) responses. */
export function synthWeights(bias = 0): Map<string, LayerWeights> {
  const n = kernels.length;
  const kernel = new Float32Array(K * K * 3 * n);
  for (let y = 0; y < K; y++)
    for (let x = 0; x < K; x++)
      for (let c = 0; c < 3; c++) for (let o = 0; o < n; o++) kernel[((y * K + x) * 3 + c) * n + o] = kernels[o](x - C, y - C) / 255;
  return new Map([['conv', { kernel, kernelShape: [K, K, 3, n], bias: new Float32Array(n).fill(bias) }]]);
}

export function synthEngine(bias = 0): Promise<OrtEngine> {
  return OrtEngine.create(synthSpec, { layers: synthWeights(bias) }, { threads: 1 });
}
