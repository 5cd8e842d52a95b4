// A generation budget (config `budget`, `atlas generate --budget`, $ATLAS_BUDGET): everything but the layer
// atlases always runs; then each layer atlas, deepest first, runs only when its estimated time fits in
// what is left, whole or not at all (the "as many whole layers as fit, deepest first"). The
// estimate comes from a short calibration render of the atlas's own layer and recipe on this machine, so
// it follows the machine (AVX-512 or AVX2, CPU or GPU), not a table. What a run leaves out is kept in
// budget.json (assemble tells the layer page) and is added by a later run, with the earlier part cached.
// What is left after the decisions is not wasted: it renders whole batches of the atlases left out, in
// their order, one at a time while the budget lasts (a head start, kept for the next run), so a series of
// budgeted runs needs fewer of them.
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { readJson, writeJsonAtomic } from '../fsutil.ts';
import { warpSides } from '../optvis/parts.ts';
import { transformsOf } from '../optvis/recipes.ts';
import { CURVE_EVERY } from '../optvis/render.ts';
import { planBatches, visualize } from '../optvis/visualize.ts';
import type { AtlasEntry, FvTask } from './plan.ts';
import { fvCostScale } from './progress.ts';
import type { StageContext } from './stages/context.ts';

/** Steps of the calibration render (two curve measurements after the warm-up); the first WARM_UP (the engine's first runs) are not timed. */
const CALIBRATION_STEPS = 2 * CURVE_EVERY + 1;
const WARM_UP = 4;

export interface AtlasDecision {
  layer: string;
  recipe: string;
  /** Units of the atlas still to render (the rest are cached). */
  pending: number;
  units: number;
  /** Estimated seconds for the pending units, and seconds left of the budget when it was decided. */
  estimate: number;
  left: number;
  admitted: boolean;
  /** Units of a left-out atlas rendered anyway with the time left after the decisions (headStart). */
  headStart?: number;
}

/** What a budgeted run decided: <out>/<model>/budget.json (read by assemble). */
export interface BudgetRecord {
  minutes: number;
  decidedAt: string;
  atlases: AtlasDecision[];
}

/** "30" -> 30 minutes; "none" -> no budget; anything else is an error naming the value. */
export function parseBudget(value: string, where: string): number | null {
  if (value.trim() === 'none') return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new AtlasError(`${where} '${value}' is not a number of minutes`, 'e.g. --budget 30, or --budget none for no limit');
  return n;
}

/** The run's budget in minutes: the flag, else $ATLAS_BUDGET, else the config's; null = no limit. */
export function resolveBudget(flag: string | undefined, config: { budget?: { minutes: number } | null }): number | null {
  if (flag !== undefined) return parseBudget(flag, '--budget');
  const env = process.env.ATLAS_BUDGET;
  if (env !== undefined && env !== '') return parseBudget(env, 'ATLAS_BUDGET');
  return config.budget?.minutes ?? null;
}

/**
 * An atlas is admitted with this much room beyond its estimate. A quiet 2-core AVX2 machine's timings move
 * by 10-20% from minute to minute, and so do calibrations: on 2026-12-03 readings were 24% below to 8% above
 * what the atlas then took (block3_conv4 read 15.6 min, took 19.3; block3_conv2 admitted on 10.7 with 11.1
 * left took 14.1 and overran the budget by 3). 1.3 covers every reading seen; the head start spends what a
 * wide margin leaves, batch by batch.
 */
export const ESTIMATE_MARGIN = 1.3;

/** Admitted when what has been spent plus the estimate, with its margin, stays within the budget. */
export function admits(elapsedSeconds: number, budgetMinutes: number, estimateSeconds: number): boolean {
  return elapsedSeconds + estimateSeconds * ESTIMATE_MARGIN <= budgetMinutes * 60;
}

/**
 * What a render's time is made of, in seconds, read from a calibration render's step times: a steady
 * step; the extra time of a step that meets a new input side (it builds that side's gradient session,
 * about 11 with Lucid's scales; a session bakes in its side and its number of channels, and is fed each
 * batch's weights, so later batches of the atlas reuse it); the extra time of a session's second run
 * (onnxruntime allocates its memory pattern then: about 2x a steady step, measured on the grid recipe at
 * block3_conv3, where counting it as steady read a 104-unit atlas at 5.4 min that took 2.4); the extra
 * time of a step that also measures the curve (a forward pass every `curveEvery` steps).
 */
export interface StepCosts {
  steady: number;
  newSide: number;
  secondRun: number;
  measure: number;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** For each step, how many times its side has been met so far, itself included (1: a new side). */
function occurrences(sides: number[]): number[] {
  const seen = new Map<number, number>();
  return sides.map((side) => {
    const n = (seen.get(side) ?? 0) + 1;
    seen.set(side, n);
    return n;
  });
}

/**
 * StepCosts from the times at which a calibration's steps ended (`ends[k + 1]`: step k), its steps' input
 * sides (null: one side, MACO's crops) and warm-up: each kind of step after the warm-up by its mean (a
 * whole render pays the machine's hiccups too: a median read 15-30% below what block3_conv2's atlas took);
 * a kind the calibration did not meet adds nothing.
 */
export function stepCosts(ends: number[], sides: number[] | null, warm: number, curveEvery: number): StepCosts {
  const kinds = { steady: [] as number[], newSide: [] as number[], secondRun: [] as number[], measure: [] as number[] };
  const occ = sides ? occurrences(sides) : null;
  for (let k = Math.max(1, warm); k + 1 < ends.length; k++) {
    const t = ends[k + 1] - ends[k];
    const nth = occ ? occ[k] : 3;
    const measures = k % curveEvery === 0;
    // A step of two kinds at once is left out: neither kind's extra can be told apart in it.
    if (measures) {
      if (nth > 2) kinds.measure.push(t);
    } else kinds[nth === 1 ? 'newSide' : nth === 2 ? 'secondRun' : 'steady'].push(t);
  }
  const base = kinds.steady.length ? mean(kinds.steady) : mean([...kinds.secondRun, ...kinds.newSide, ...kinds.measure]);
  const extra = (xs: number[]) => (xs.length ? Math.max(0, mean(xs) - base) : 0);
  return { steady: base, newSide: extra(kinds.newSide), secondRun: extra(kinds.secondRun), measure: extra(kinds.measure) };
}

/** Session costs of a render whose input sides are `sides` (null: one side): a build per distinct side, a second run per side met twice. */
function sessionTime(c: StepCosts, sides: number[] | null): number {
  if (!sides) return c.newSide + c.secondRun;
  const occ = occurrences(sides);
  return occ.filter((n) => n === 1).length * c.newSide + occ.filter((n) => n === 2).length * c.secondRun;
}

/** A whole render of `steps` steps whose input sides are `sides` (null: one side): steps, session builds and second runs, curve measurements (the last one after the final step). */
export function renderTime(c: StepCosts, steps: number, sides: number[] | null, curveEvery: number): number {
  const measures = Math.floor((steps - 1) / curveEvery) + 2;
  return steps * c.steady + sessionTime(c, sides) + measures * c.measure;
}

/**
 * A layer atlas of `batches` renders like the calibration's: the sessions are built (and run a second
 * time) once, since the engine keeps them across batches (every side of a grid render, and of a
 * full-recipe one where memory allows, ort-engine.ts); the steps and curves every batch.
 */
export function atlasTime(c: StepCosts, steps: number, sides: number[] | null, curveEvery: number, batches: number): number {
  const once = sessionTime(c, sides);
  return once + batches * (renderTime(c, steps, sides, curveEvery) - once);
}

/**
 * Seconds the pending tasks of one layer atlas should take here: a calibration render (the first batch
 * of units, CALIBRATION_STEPS steps, nothing written) times its kinds of steps (stepCosts), a whole
 * render of that batch is modelled from them (renderTime), and the tasks' relative costs (fvCostScale:
 * steps, pixels, images per unit) scale it to the whole atlas, its session builds counted once (atlasTime).
 */
export async function estimateAtlas(ctx: StageContext, tasks: FvTask[]): Promise<number> {
  const t = tasks[0];
  const s = t.settings;
  const steps = Math.min(CALIBRATION_STEPS, Math.max(2, s.steps));
  const warm = Math.min(WARM_UP, steps - 1);
  const request = { layer: t.layer, objective: t.objective, batch: s.batch, size: s.size, steps, lr: s.lr, seed: s.seed };
  const units = [...new Set(planBatches({ ...request, units: tasks.filter((x) => x.objective === t.objective).map((x) => x.unit) })[0].units)];
  const stamps: number[] = [];
  await visualize({
    ...request,
    model: ctx.load,
    units,
    schedule: s.schedule,
    transforms: transformsOf(s),
    optimizer: s.optimizer,
    imageModel: ctx.imageModel,
    // MACO's step costs the same whatever its magnitude spectrum: a flat one times it without the dataset pass.
    ...(s.maco ? { param: 'maco' as const, magnitude: new Float32Array(3 * s.size * (Math.floor(s.size / 2) + 1)).fill(1), crops: s.maco, importance: s.maco.importance } : {}),
    workers: 1,
    curveEvery: CURVE_EVERY,
    onProgress: (done) => {
      stamps[done] = performance.now() / 1000;
    },
  });
  // MACO's crops all have one side.
  const sidesOf = (n: number) => (s.param === 'maco' ? null : warpSides(s.size, transformsOf(s), s.seed, n));
  const costs = stepCosts(stamps, sidesOf(steps), warm, CURVE_EVERY);
  const batches = tasks.reduce((sum, x) => sum + fvCostScale(x), 0) / (units.length * fvCostScale(t));
  return atlasTime(costs, s.steps, sidesOf(s.steps), CURVE_EVERY, batches);
}

/** `42 s` below a minute and a half, else `20.5 min`. */
export function duration(seconds: number): string {
  return Math.abs(seconds) < 90 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** One line for the log and the terminal: what was decided and why, and how to get what was left out. */
export function describeDecision(d: AtlasDecision, minutes: number): string {
  const what = `layer atlas ${d.layer} (${d.recipe}, ${d.pending} of ${d.units} units to render)`;
  const margin = Math.round((ESTIMATE_MARGIN - 1) * 100);
  const est = `about ${duration(d.estimate)} here (${duration(d.estimate * ESTIMATE_MARGIN)} with a ${margin}% margin), ${duration(d.left)} left of the ${minutes}-minute budget`;
  return d.admitted
    ? `budget: ${what}: ${est}: runs`
    : `budget: ${what}: ${est}: too long to run whole; its units get what the budget leaves, batch by batch, and the rest wait for the next run (what is done is kept; no limit: --budget none / ATLAS_BUDGET=none)`;
}

/**
 * A left-out atlas's tasks as whole batches of its units, in plan order (a unit with two tasks, e.g. two
 * objectives, brings both): what a head start renders, one batch at a time while the budget lasts.
 */
export function unitBatches<T extends { unit: number; settings: { batch: number } }>(tasks: T[]): T[][] {
  if (!tasks.length) return [];
  const units = [...new Set(tasks.map((t) => t.unit))];
  const size = Math.max(1, tasks[0].settings.batch);
  const out: T[][] = [];
  for (let i = 0; i < units.length; i += size) {
    const these = new Set(units.slice(i, i + size));
    out.push(tasks.filter((t) => these.has(t.unit)));
  }
  return out;
}

/** What a head start has rendered so far: units, and the seconds they took here. */
export interface HeadStartSoFar {
  units: number;
  seconds: number;
}

/**
 * Seconds the next batch (`units` units) of a head start should take: before any batch, the atlas's
 * estimate for that many units with the margin (a calibration reads up to 24% low); after, what the
 * batches rendered so far took a unit. A batch runs only when that fits in what is left, so a head start
 * ends within one batch's deviation of the budget instead of a margin's.
 */
export function nextBatchSeconds(d: AtlasDecision, units: number, soFar: HeadStartSoFar): number {
  const perUnit = soFar.units > 0 ? soFar.seconds / soFar.units : (d.estimate * ESTIMATE_MARGIN) / Math.max(1, d.pending);
  return perUnit * units;
}

export function describeHeadStart(d: AtlasDecision, leftSeconds: number, firstBatchSeconds: number): string {
  return `budget: layer atlas ${d.layer} (${d.recipe}): a head start with the ${duration(leftSeconds)} left, batch by batch while the budget lasts (about ${duration(firstBatchSeconds)} a batch)`;
}

export function describeHeadStartDone(d: AtlasDecision, soFar: HeadStartSoFar): string {
  const left = d.pending - soFar.units;
  // Said once the head start is over: a second round of `atlas run` may still complete it.
  const outcome = left > 0 ? `; the other ${left} wait for the next run (its layer page says the atlas is incomplete until then)` : ': the layer atlas is complete';
  return `budget: the head start on ${d.layer} (${d.recipe}) rendered ${soFar.units} of its ${d.pending} units in ${duration(soFar.seconds)} (estimated ${duration((d.estimate * soFar.units) / d.pending)})${outcome}`;
}

function recordFile(out: string, model: string): string {
  return path.join(out, model, 'budget.json');
}

export function writeBudgetRecord(out: string, model: string, minutes: number, atlases: AtlasDecision[]): void {
  writeJsonAtomic(recordFile(out, model), { minutes, decidedAt: new Date().toISOString(), atlases } satisfies BudgetRecord);
}

/** The last budgeted run's decisions, or null. */
export function readBudgetRecord(out: string, model: string): BudgetRecord | null {
  return readJson<BudgetRecord>(recordFile(out, model));
}

/** Decisions of the plan's atlases, by config index, for atlases that have pending tasks. */
export function pendingAtlases(atlases: AtlasEntry[], fv: FvTask[]): Array<{ entry: AtlasEntry; tasks: FvTask[] }> {
  return atlases.map((entry) => ({ entry, tasks: fv.filter((t) => t.atlas === entry.index) })).filter((a) => a.tasks.length > 0);
}
