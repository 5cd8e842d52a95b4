// Expanded weights (Distill, "Visualizing Weights", Circuits thread): how a unit of conv L reads a unit of
// L-2 through all of L-1 at once. Linearize the network between them (ReLU -> identity, max pool -> average
// pool of the same size and stride); what is left is linear, so each (source s of L-2, target t of L) pair
// has one kernel E_st with  L_t(p) = sum_s sum_{y,x} E_st[y][x] * L-2_s(stride*p + origin + (y, x))
// away from the borders. Biases are ignored: in the linearized network they only add a constant to L_t,
// which belongs to no (s, t) pair.
//
// Size, stride and origin, at the resolution of the source layer (k = 3 for VGG; pools 2x2 stride 2):
//   no pool           5x5,   stride 1, origin -2   (two 3x3 convs: 3 + 3 - 1)
//   pool after L-1    8x8,   stride 2, origin -3   (L unit p reads source 2p-3 .. 2p+4)
//   pool before L-1   10x10, stride 2, origin -4   (2x2 blocks of equal weight: the pool averages them)
// In general each op composes as below (`compose`); the window is always centred on the target unit.
import { AtlasError } from '../errors.ts';
import type { KerasWeights, LayerWeights } from '../model/keras-h5.ts';
import type { ModelSpec } from '../model/spec.ts';
import { type Connection, type ConvStep, INPUT_LAYER, type Kernel, type Pool, checkUnit, connection, convStep, rankIndices } from './weights.ts';

/**
 * A linear map from a grid to one unit of a later grid, the same on both axes:
 * out(p) = sum_{y,x} data[y * size + x] * in(stride * p + origin + (y, x)).
 */
export interface Footprint {
  size: number;
  stride: number;
  origin: number;
  data: Float64Array;
}

export const IDENTITY: Footprint = { size: 1, stride: 1, origin: 0, data: Float64Array.of(1) };

/** A 'same'-padded, stride-1 conv kernel (k x k, rows = y) as a footprint. */
export function convFootprint(kernel: ArrayLike<number>, k: number): Footprint {
  return { size: k, stride: 1, origin: -(k - 1) / 2, data: Float64Array.from(kernel) };
}

/** A 'valid' pool, linearized as an average pool of the same size and stride. */
export function poolFootprint(pool: Pick<Pool, 'size' | 'stride'>): Footprint {
  return { size: pool.size, stride: pool.stride, origin: 0, data: new Float64Array(pool.size * pool.size).fill(1 / (pool.size * pool.size)) };
}

/** g followed by h, where h reads the grid that g writes. */
export function compose(g: Footprint, h: Footprint): Footprint {
  const size = g.stride * (h.size - 1) + g.size;
  const data = new Float64Array(size * size);
  for (let fy = 0; fy < h.size; fy++) {
    for (let fx = 0; fx < h.size; fx++) {
      const hv = h.data[fy * h.size + fx];
      if (hv === 0) continue;
      for (let ey = 0; ey < g.size; ey++) {
        const row = (g.stride * fy + ey) * size + g.stride * fx;
        for (let ex = 0; ex < g.size; ex++) data[row + ex] += hv * g.data[ey * g.size + ex];
      }
    }
  }
  return { size, stride: g.stride * h.stride, origin: g.stride * h.origin + g.origin, data };
}

export function poolChain(pools: Pool[]): Footprint {
  return pools.reduce((f, p) => compose(f, poolFootprint(p)), IDENTITY);
}

export interface ExpandedKernels {
  size: number;
  stride: number;
  origin: number;
  /** One size x size kernel per source channel, row-major: kernels[(s * size + y) * size + x]. */
  kernels: Float64Array;
  sources: number;
}

/**
 * Expanded kernels of target unit `target` of conv 2 (kernel w2) for every input channel of conv 1 (w1),
 * with `poolsBefore` between the source layer and conv 1 and `poolsBetween` between conv 1 and conv 2.
 * Cost: sources x mid channels x k1^2 x (size of conv 2's footprint at conv 1's grid)^2.
 */
export function expandKernels(w1: LayerWeights, poolsBefore: Pool[], w2: LayerWeights, poolsBetween: Pool[], target: number): ExpandedKernels {
  const [k1, , sources, mid] = w1.kernelShape;
  const [k2, , mid2, targets] = w2.kernelShape;
  if (mid2 !== mid) throw new Error(`kernel shapes do not chain: [${w1.kernelShape}] then [${w2.kernelShape}]`);
  if (target < 0 || target >= targets) throw new Error(`target ${target} out of range 0..${targets - 1}`);
  // Q_m: conv 2's target unit as read from mid channel m, pools included, at conv 1's output grid.
  const between = poolChain(poolsBetween);
  const k2data = new Float64Array(k2 * k2);
  const q: Float64Array[] = [];
  let qGeom: Footprint = IDENTITY;
  for (let m = 0; m < mid; m++) {
    for (let p = 0; p < k2 * k2; p++) k2data[p] = w2.kernel[(p * mid + m) * targets + target];
    qGeom = compose(between, convFootprint(k2data, k2));
    q.push(qGeom.data);
  }
  // R_s = sum_m (K1[:, :, s, m] then Q_m): at conv 1's input grid, i.e. the source grid after the pools.
  const qs = qGeom.size;
  const rs = qs + k1 - 1;
  const r = new Float64Array(sources * rs * rs);
  const kk = k1 * k1;
  const k1s = new Float64Array(sources * kk);
  for (let m = 0; m < mid; m++) {
    for (let e = 0; e < kk; e++) for (let s = 0; s < sources; s++) k1s[s * kk + e] = w1.kernel[(e * sources + s) * mid + m];
    const qm = q[m];
    for (let s = 0; s < sources; s++) {
      const base = s * rs * rs;
      for (let fy = 0; fy < qs; fy++) {
        for (let fx = 0; fx < qs; fx++) {
          const qv = qm[fy * qs + fx];
          if (qv === 0) continue;
          for (let ey = 0; ey < k1; ey++) {
            const row = base + (fy + ey) * rs + fx;
            const kr = s * kk + ey * k1;
            for (let ex = 0; ex < k1; ex++) r[row + ex] += qv * k1s[kr + ex];
          }
        }
      }
    }
  }
  const rGeom = { size: rs, stride: qGeom.stride, origin: qGeom.origin - (k1 - 1) / 2 };
  // Then the pools before conv 1 spread each weight over the source pixels they average.
  const before = poolChain(poolsBefore);
  const size = before.stride * (rs - 1) + before.size;
  const kernels = new Float64Array(sources * size * size);
  for (let s = 0; s < sources; s++) {
    kernels.set(compose(before, { ...rGeom, data: r.subarray(s * rs * rs, (s + 1) * rs * rs) }).data, s * size * size);
  }
  return { size, stride: before.stride * rGeom.stride, origin: before.stride * rGeom.origin + before.origin, kernels, sources };
}

export interface ExpandedConnection extends Connection {
  /** The conv layer the expansion goes through (L-1). */
  via: string;
  /** kernel[0][0] sits at source position stride * p + origin (both axes) for target position p. */
  stride: number;
  origin: number;
}

export interface ExpandedWeights {
  layer: string;
  unit: number;
  /** L-2: the conv two steps back, or 'input' (the image's B, G, R). */
  source: string;
  via: string;
  size: number;
  stride: number;
  origin: number;
  /** Top-k sources by L2 norm of their expanded kernel. */
  connections: ExpandedConnection[];
}

function rows(data: Float64Array, offset: number, size: number): Kernel {
  return Array.from({ length: size }, (_, y) => Array.from(data.subarray(offset + y * size, offset + (y + 1) * size)));
}

/** Expanded weights need a conv L-1 between L-2 and L: the first conv has none (exit 2). */
export function checkExpandable(step: ConvStep, spec?: ModelSpec): void {
  if (spec?.graph) {
    throw new AtlasError(`expanded weights compose 'same' convs and non-overlapping pools (sequential specs such as VGG19); ${spec.id} is an imported graph`, 'use the direct weights (atlas circuit without --expanded)');
  }
  if (step.source === INPUT_LAYER) {
    throw new AtlasError(
      `${step.name} has no conv layer before it: expanded weights go from L-2 to L through the conv L-1`,
      'ask for a later layer (e.g. block1_conv2, whose expanded weights read the image through block1_conv1)',
    );
  }
}

/** Expanded weights from L-2 to `unit` of `layer`, through L-1, ranked by L2 norm. */
export function expandedWeights(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, layer: string, unit: number, top = 10): ExpandedWeights {
  const step = convStep(spec, weights, layer);
  checkUnit(step, unit);
  checkExpandable(step, spec);
  const via = convStep(spec, weights, step.source);
  const ek = expandKernels(weights.layers.get(via.name)!, via.pools, weights.layers.get(layer)!, step.pools, unit);
  const n = ek.size * ek.size;
  const l2 = new Float64Array(ek.sources);
  const sum = new Float64Array(ek.sources);
  const max = new Float64Array(ek.sources);
  for (let s = 0; s < ek.sources; s++) {
    for (let i = s * n; i < (s + 1) * n; i++) {
      const v = ek.kernels[i];
      l2[s] += v * v;
      sum[s] += v;
      if (Math.abs(v) > max[s]) max[s] = Math.abs(v);
    }
    l2[s] = Math.sqrt(l2[s]);
  }
  const m = { l2, sum, max };
  const connections = rankIndices(l2, top).map(
    (s): ExpandedConnection => ({ ...connection(via.source, s, m, rows(ek.kernels, s * n, ek.size)), via: via.name, stride: ek.stride, origin: ek.origin }),
  );
  return { layer, unit, source: via.source, via: via.name, size: ek.size, stride: ek.stride, origin: ek.origin, connections };
}
