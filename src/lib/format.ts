// Presentation helpers: how numbers, labels, kernels and curves look on the page. Pure functions, no data
// access (that is src/lib/atlas.ts), so that both Astro pages and the client island can use them.

/** The atlas's two colours: excitation (positive weights) and inhibition (negative weights). */
export const EXCITE = '#CE1E34';
export const INHIBIT = '#0571B0';

const EXCITE_RGB = [0xce, 0x1e, 0x34] as const;
const INHIBIT_RGB = [0x05, 0x71, 0xb0] as const;

const hex2 = (v: number) => Math.round(v).toString(16).padStart(2, '0');

/**
 * The colour of a weight on the atlas's diverging scale: white at 0, #CE1E34 at +maxAbs, #0571B0 at
 * -maxAbs (linear in between, clamped beyond).
 */
export function weightColor(w: number, maxAbs: number): string {
  const t = maxAbs > 0 ? Math.min(1, Math.abs(w) / maxAbs) : 0;
  const c = w >= 0 ? EXCITE_RGB : INHIBIT_RGB;
  return `#${c.map((v) => hex2(255 + (v - 255) * t)).join('')}`;
}

export function signColor(sign: 'excitatory' | 'inhibitory'): string {
  return sign === 'excitatory' ? EXCITE : INHIBIT;
}

/** ImageNet labels come with underscores (bald_eagle): shown with spaces. */
export function prettyLabel(label: string): string {
  return label.replaceAll('_', ' ');
}

// One formatter each, made once: toLocaleString with options builds a new Intl.NumberFormat per call,
// which took 12 of the default site's 50 s of build (a unit page formats thousands of weights).
const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 });
const FIXED = new Map<number, Intl.NumberFormat>();

function fixedFormat(digits: number): Intl.NumberFormat {
  let f = FIXED.get(digits);
  if (!f) FIXED.set(digits, (f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })));
  return f;
}

/** A number for tables: 4 significant digits, no exponent for the usual range. */
export function num(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(digits - 1);
  return GROUPED.format(Number(v.toPrecision(digits)));
}

/** A signed weight: always with its sign, so + and − read at a glance. */
export function signed(v: number, digits = 3): string {
  return `${v >= 0 ? '+' : '−'}${num(Math.abs(v), digits)}`;
}

/**
 * A number cited in prose (<Stat>, <Claim>): `digits` decimals (default 4 significant digits), as a
 * percentage, or without its sign (for "weaker by ...").
 */
export function statText(raw: number, opts: { digits?: number; percent?: boolean; abs?: boolean } = {}): string {
  const v = (opts.abs ? Math.abs(raw) : raw) * (opts.percent ? 100 : 1);
  const fixed = (d: number) => fixedFormat(d).format(v).replace('-', '−');
  return (opts.digits === undefined ? num(v) : fixed(opts.digits)) + (opts.percent ? '%' : '');
}

/**
 * A share: whole percent from 10% up, one decimal below; exactly zero is "0%" and a positive share too small
 * for one decimal "<0.1%", so that a page never writes a true zero and a tiny share alike as "0.0%".
 */
export function percent(v: number): string {
  if (v === 0) return '0%';
  if (v > 0 && v < 0.0005) return '<0.1%';
  return `${(v * 100).toFixed(Math.abs(v) < 0.1 ? 1 : 0)}%`;
}

/**
 * How widely and how often a unit fires: "fires at 23% of positions on average, somewhere in 100% of
 * 1,000 images". Deep units fire somewhere on nearly every image, so the share of positions (examples'
 * position_rate) leads; files of an older generator lack it and say only "fires on 100% of 1,000 images".
 */
export function firingText(ex: { firing_rate: number; position_rate?: number; images: number }, noun = 'images'): string {
  const of = `${percent(ex.firing_rate)} of ${GROUPED.format(ex.images)} ${noun}`;
  return ex.position_rate === undefined ? `fires on ${of}` : `fires at ${percent(ex.position_rate)} of positions on average, somewhere in ${of}`;
}

/** A share with one decimal ("62.5%"): accuracies over a few dozen images, where 1/40 is 2.5 points. */
export function percent1(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

/** "top-1 62.5%, top-5 85.0% on 40 images of imagenet-sample": a model check's accuracy (model.json). */
export function accuracyLine(a: { top1: number; top5: number; images: number; dataset: string }): string {
  return `top-1 ${percent1(a.top1)}, top-5 ${percent1(a.top5)} on ${a.images} image${a.images === 1 ? '' : 's'} of ${a.dataset}`;
}

/**
 * The kernel sizes of a set of connections in words ("3×3", "1×1 and 3×3"): VGG19's convs are all 3×3,
 * SqueezeNet's squeeze and expand1x1 convs 1×1, so a page says what its kernels are from the data.
 */
export function kernelSizes(kernels: number[][][]): string {
  const sizes = [...new Set(kernels.map((k) => `${k.length}×${k[0]?.length ?? 0}`))].sort();
  return sizes.length ? sizes.join(' and ') : 'no';
}

export function shape(s: number[]): string {
  return s.join(' × ');
}

export function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

/** A date-time as "2026-11-25 21:56 UTC". */
export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface KernelCell {
  x: number;
  y: number;
  w: number;
  fill: string;
}

/** The cells of a kernel picture; `kernel` is rows (y) of columns (x), as in the data. */
export function kernelCells(kernel: number[][], maxAbs: number): KernelCell[] {
  return kernel.flatMap((row, y) => row.map((w, x) => ({ x, y, w, fill: weightColor(w, maxAbs) })));
}

export interface Plot {
  width: number;
  height: number;
  /** Inner drawing box (left, top, right, bottom). */
  box: [number, number, number, number];
}

const scale = (v: number, lo: number, hi: number, a: number, b: number) => (hi === lo ? (a + b) / 2 : a + ((v - lo) / (hi - lo)) * (b - a));

/** Points of a series on a plot: x evenly spaced (index), y from `lo` (bottom) to `hi` (top). */
export function linePoints(values: number[], plot: Plot, lo: number, hi: number): Array<[number, number]> {
  const [l, t, r, b] = plot.box;
  return values.map((v, i) => [Number(scale(i, 0, Math.max(1, values.length - 1), l, r).toFixed(1)), Number(scale(v, lo, hi, b, t).toFixed(1))]);
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
  from: number;
  to: number;
}

/** Histogram bars: counts[i] is the number of values in [edges[i], edges[i + 1]). */
export function histogramBars(edges: number[], counts: number[], plot: Plot): Bar[] {
  const [l, t, r, b] = plot.box;
  const lo = edges[0] ?? 0;
  const hi = edges[edges.length - 1] ?? 1;
  const top = Math.max(1, ...counts);
  return counts.map((count, i) => {
    const x0 = scale(edges[i], lo, hi, l, r);
    const x1 = scale(edges[i + 1] ?? hi, lo, hi, l, r);
    const h = (count / top) * (b - t);
    return { x: x0, y: b - h, width: Math.max(0.5, x1 - x0 - 0.5), height: h, count, from: edges[i], to: edges[i + 1] ?? hi };
  });
}

/** Round tick values for an axis from lo to hi (about `n` of them). */
export function ticks(lo: number, hi: number, n = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * A tuning's preferred stimulus in words (unit.json tuning[*].summary.preferred: a stimulus shape without its
 * position), e.g. "ring, radius 8 px, stroke 6 px"; an unknown kind lists its fields.
 */
export function stimulusText(p: Record<string, unknown>): string {
  const n = (k: string) => (typeof p[k] === 'number' ? num(p[k] as number, 3) : '?');
  switch (p.kind) {
    case 'circle':
      return p.filled ? `disc, radius ${n('radius')} px` : `ring, radius ${n('radius')} px, stroke ${n('width')} px`;
    case 'ellipse':
      return `ellipse${p.filled ? '' : ' outline'}, semi-major axis ${n('radius')} px, aspect ${n('aspect')}, at ${n('angle')}°${p.filled ? '' : `, stroke ${n('width')} px`}`;
    case 'arc':
      return p.curvature === 0
        ? `straight segment, length ${n('length')} px, stroke ${n('width')} px, normal at ${n('orientation')}°`
        : `arc of radius ${typeof p.curvature === 'number' ? num(1 / p.curvature, 3) : '?'} px, length ${n('length')} px, stroke ${n('width')} px, facing ${n('orientation')}°`;
    case 'line':
      return `line, length ${n('length')} px, stroke ${n('width')} px, at ${n('orientation')}°`;
    case 'edge':
      return `edge, foreground towards ${n('orientation')}°`;
    default:
      return Object.entries(p).map(([k, v]) => `${k} ${typeof v === 'number' ? num(v, 3) : String(v)}`).join(', ');
  }
}

/**
 * The first n classes of a unit's class ranking, saying so when each rests on a single dataset image (the
 * 1,000-image sample has one per class: its "mean" is then one image's value, not a class average).
 */
export function topClassesText(classes: ReadonlyArray<{ label: string; images?: number }>, n: number): string {
  const top = classes.slice(0, n);
  const names = top.map((c) => prettyLabel(c.label)).join(', ');
  return oneImageEach(top) ? `${names} (one image each)` : names;
}

/** Whether every one of these classes has a single dataset image (false for none, or counts an older generator did not write). */
export function oneImageEach(classes: ReadonlyArray<{ images?: number }>): boolean {
  return classes.length > 0 && classes.every((c) => c.images === 1);
}
