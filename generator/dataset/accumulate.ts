// Streaming statistics of every unit of one layer over a dataset, in memory that does not grow with the
// number of images: bounded top-k / bottom-k / negative-k lists, per-class sum/max/count rows, fixed-size
// histograms, firing counts. The input is the pre-ReLU activation (for a conv with a ReLU), so one forward
// gives both quantities: the post-ReLU max is max(0, pre-ReLU max) at the same position, and the negative
// lists rank the pre-ReLU min.
//
// Silent images: where the post-ReLU max is 0 the unit does not fire, and "the position of the max" is
// arbitrary (every position ties at 0). Such an image counts in the histogram and class statistics (as 0),
// but is kept out of the top and bottom lists, so no crop is ever cut at a meaningless position.
//
// Everything is plain data (typed arrays, Maps), so a worker's partial crosses the thread boundary by
// structured clone, and partials merge:
//   - exactly and in any order for the rankings (a total order: activation, then image index, and image
//     indices follow the sorted image paths), the maxima, the counts and the histograms (see below);
//   - for the per-class sums, floating-point addition is not associative, so the pass merges partials in
//     shard order with shards of a fixed size: the sums are then the same whatever the worker count.
//
// Histogram: per unit, BINS equal bins over [0, 2^exp), exp the smallest integer with max < 2^exp (and at
// least MIN_EXP). A value beyond the range doubles it, merging bins pairwise (bin i -> i >> 1). Since bin
// widths are powers of two, floor(v / w) is exact and coarsening commutes with adding, so a histogram
// equals the one built directly at its final range, whatever the order or sharding. Values are post-ReLU
// maxima, so >= 0.

export const BINS = 64;
/** The finest range: [0, 2^-20); a unit whose values all stay below it has one populated bin. */
export const MIN_EXP = -20;

/** The k best images of each unit; entries of unit u live at [u*k, u*k + size[u]), best first. */
export interface Ranked {
  k: number;
  value: Float32Array;
  image: Int32Array;
  /** Position of the max in the layer's grid, y * width + x. */
  pos: Int32Array;
  size: Int32Array;
}

export interface ClassRow {
  count: number;
  /** Per unit: sum and max of the per-image max. */
  sum: Float64Array;
  max: Float32Array;
}

export interface LayerPartial {
  layer: string;
  units: number;
  /** Grid [height, width] of the layer for the pass's input size. */
  grid: [number, number];
  images: number;
  /** By post-ReLU max, highest first; only images the unit fires on (max > 0). */
  top: Ranked;
  /** By post-ReLU max, lowest first; only images the unit fires on (max > 0). */
  bottom: Ranked;
  /** By pre-ReLU min over positions, lowest first (pos = where the min is); empty unless `signed`. */
  negative: Ranked;
  /** The activations are pre-ReLU (a conv with a ReLU): the negative lists are kept. */
  signed: boolean;
  /** Keyed by dataset class index; only classes seen. O(classes x units) at most. */
  classes: Map<number, ClassRow>;
  histExp: Int32Array;
  /** units x BINS. */
  histCounts: Uint32Array;
  /** Per unit: images whose max is > 0. */
  firing: Uint32Array;
  /** Per unit: the sum over images of the share of positions where it is > 0 (how much of an image it covers). */
  coverage: Float64Array;
}

function emptyRanked(units: number, k: number): Ranked {
  return { k, value: new Float32Array(units * k), image: new Int32Array(units * k), pos: new Int32Array(units * k), size: new Int32Array(units) };
}

/** `signed`: the activations given to addImage are pre-ReLU (conv + ReLU); false for e.g. a pool's output. */
export function emptyPartial(layer: string, units: number, grid: [number, number], k: number, signed = false): LayerPartial {
  return {
    layer,
    units,
    grid,
    images: 0,
    top: emptyRanked(units, k),
    bottom: emptyRanked(units, k),
    negative: emptyRanked(units, k),
    signed,
    classes: new Map(),
    histExp: new Int32Array(units).fill(MIN_EXP),
    histCounts: new Uint32Array(units * BINS),
    firing: new Uint32Array(units),
    coverage: new Float64Array(units),
  };
}

/** a ranks before b: by value (descending for top, ascending for bottom), then by image index. */
function before(desc: boolean, va: number, ia: number, vb: number, ib: number): boolean {
  if (va !== vb) return desc ? va > vb : va < vb;
  return ia < ib;
}

/** Inserts into unit u's sorted list if it makes the cut; O(k) worst case, O(1) for the usual reject. */
export function rankInsert(r: Ranked, desc: boolean, u: number, value: number, image: number, pos: number): void {
  const base = u * r.k;
  let n = r.size[u];
  if (n === r.k) {
    const last = base + n - 1;
    if (!before(desc, value, image, r.value[last], r.image[last])) return;
    n--; // the last one drops out
  }
  let i = base + n;
  while (i > base && before(desc, value, image, r.value[i - 1], r.image[i - 1])) {
    r.value[i] = r.value[i - 1];
    r.image[i] = r.image[i - 1];
    r.pos[i] = r.pos[i - 1];
    i--;
  }
  r.value[i] = value;
  r.image[i] = image;
  r.pos[i] = pos;
  r.size[u] = n + 1;
}

function mergeRanked(into: Ranked, from: Ranked, desc: boolean): void {
  for (let u = 0; u < into.size.length; u++) {
    const base = u * from.k;
    for (let j = 0; j < from.size[u]; j++) rankInsert(into, desc, u, from.value[base + j], from.image[base + j], from.pos[base + j]);
  }
}

/** Range exponent for a value: the smallest e >= MIN_EXP with v < 2^e. */
export function exponentFor(v: number): number {
  if (!(v > 0)) return MIN_EXP;
  let e = Math.max(MIN_EXP, Math.ceil(Math.log2(v))) + 0; // + 0: no -0 for v just below 1
  // log2 rounding: make sure v < 2^e and v >= 2^(e-1), exactly.
  while (v >= 2 ** e) e++;
  while (e > MIN_EXP && v < 2 ** (e - 1)) e--;
  return e;
}

/** Coarsens unit u's histogram to exponent e (>= its own) by merging bins. */
function widen(p: LayerPartial, u: number, e: number): void {
  const d = e - p.histExp[u];
  if (d <= 0) return;
  const base = u * BINS;
  const counts = p.histCounts;
  for (let i = 0; i < BINS; i++) {
    const c = counts[base + i];
    if (!c) continue;
    counts[base + i] = 0;
    // i >> d for d >= 31 is not 0 in JS: every bin lands in bin 0 once d >= log2(BINS) anyway.
    counts[base + (d >= 31 ? 0 : i >> d)] += c;
  }
  p.histExp[u] = e;
}

function histAdd(p: LayerPartial, u: number, v: number): void {
  if (v >= 2 ** p.histExp[u]) widen(p, u, exponentFor(v));
  const width = 2 ** p.histExp[u] / BINS;
  const bin = v > 0 ? Math.min(BINS - 1, Math.floor(v / width)) : 0;
  p.histCounts[u * BINS + bin]++;
}

/**
 * Adds one image: `act` is its activation [h, w, units] (row-major, HWC) starting at `offset`, pre-ReLU
 * when the partial is `signed`. Max and min are taken over positions; their position is the first one in
 * row-major order.
 */
export function addImage(p: LayerPartial, image: number, cls: number, act: Float32Array, offset = 0): void {
  const units = p.units;
  const positions = p.grid[0] * p.grid[1];
  const max = new Float32Array(units).fill(-Infinity);
  const arg = new Int32Array(units);
  const min = new Float32Array(units).fill(Infinity);
  const argMin = new Int32Array(units);
  const on = new Uint32Array(units);
  for (let q = 0; q < positions; q++) {
    const o = offset + q * units;
    for (let u = 0; u < units; u++) {
      const v = act[o + u];
      if (v > 0) on[u]++;
      if (v > max[u]) {
        max[u] = v;
        arg[u] = q;
      }
      if (v < min[u]) {
        min[u] = v;
        argMin[u] = q;
      }
    }
  }
  let row = p.classes.get(cls);
  if (!row) {
    row = { count: 0, sum: new Float64Array(units), max: new Float32Array(units).fill(-Infinity) };
    p.classes.set(cls, row);
  }
  row.count++;
  for (let u = 0; u < units; u++) {
    const v = max[u] > 0 ? max[u] : 0; // the post-ReLU max
    if (v > 0) {
      rankInsert(p.top, true, u, v, image, arg[u]);
      rankInsert(p.bottom, false, u, v, image, arg[u]);
      p.firing[u]++;
    }
    p.coverage[u] += on[u] / positions;
    if (p.signed) rankInsert(p.negative, false, u, min[u], image, argMin[u]);
    row.sum[u] += v;
    if (v > row.max[u]) row.max[u] = v;
    histAdd(p, u, v);
  }
  p.images++;
}

/** Merges `from` into `into`. Call in shard order (see the file comment) for reproducible class means. */
export function mergePartial(into: LayerPartial, from: LayerPartial): void {
  if (into.layer !== from.layer || into.units !== from.units || into.signed !== from.signed) throw new Error(`cannot merge ${from.layer} into ${into.layer}`);
  mergeRanked(into.top, from.top, true);
  mergeRanked(into.bottom, from.bottom, false);
  mergeRanked(into.negative, from.negative, false);
  for (const [cls, r] of from.classes) {
    const row = into.classes.get(cls);
    if (!row) {
      into.classes.set(cls, { count: r.count, sum: Float64Array.from(r.sum), max: Float32Array.from(r.max) });
      continue;
    }
    row.count += r.count;
    for (let u = 0; u < into.units; u++) {
      row.sum[u] += r.sum[u];
      if (r.max[u] > row.max[u]) row.max[u] = r.max[u];
    }
  }
  for (let u = 0; u < into.units; u++) {
    const e = Math.max(into.histExp[u], from.histExp[u]);
    widen(into, u, e);
    const d = e - from.histExp[u];
    for (let i = 0; i < BINS; i++) {
      const c = from.histCounts[u * BINS + i];
      if (c) into.histCounts[u * BINS + (d >= 31 ? 0 : i >> d)] += c;
    }
    into.firing[u] += from.firing[u];
    into.coverage[u] += from.coverage[u];
  }
  into.images += from.images;
}

/** Unit u's histogram: edges (length bins+1) and counts, trailing empty bins dropped (at least one bin). */
export function histogramOf(p: LayerPartial, u: number): { edges: number[]; counts: number[] } {
  const counts = Array.from(p.histCounts.subarray(u * BINS, (u + 1) * BINS));
  let n = BINS;
  while (n > 1 && counts[n - 1] === 0) n--;
  const width = 2 ** p.histExp[u] / BINS;
  return { edges: Array.from({ length: n + 1 }, (_, i) => i * width), counts: counts.slice(0, n) };
}
