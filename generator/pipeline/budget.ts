// A generation budget (config `budget`, `atlas generate --budget`, $ATLAS_BUDGET): everything but the layer
// atlases always runs; then each layer atlas, deepest first, runs only when its estimated time fits in
// what is left, whole or not at all (the "as many whole layers as fit, deepest first"). The
// estimate comes from a short calibration render of the atlas's own layer and recipe on this machine, so
// it follows the machine (AVX-512 or AVX2, CPU or GPU), not a table. What a run leaves out is kept in
// budget.json (assemble tells the layer page) and is added by a later run, with the earlier part cached.
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { readJson, writeJsonAtomic } from '../fsutil.ts';
import { warpSides } from '../optvis/parts.ts';
import { transformsOf } from '../optvis/recipes.ts';
import { planBatches, visualize } from '../optvis/visualize.ts';
import type { AtlasEntry, FvTask } from './plan.ts';
import { fvCostScale } from './progress.ts';
import type { StageContext } from './stages/context.ts';

/** Steps of the calibration render; the first WARM_UP (the engine's first runs) are not timed. */
const CALIBRATION_STEPS = 24;
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

/** Admitted when what has been spent plus the estimate stays within the budget. */
export function admits(elapsedSeconds: number, budgetMinutes: number, estimateSeconds: number): boolean {
  return elapsedSeconds + estimateSeconds <= budgetMinutes * 60;
}

/**
 * A render's steady step time from the times at which its steps ended (`ends[k + 1]`: step k): the median of
 * the steps after `warm` whose input side an earlier step had. A step that meets a new side (the transforms
 * draw about 11) builds its session, which a whole render does once per side, not once in a few steps.
 */
export function steadyStep(ends: number[], sides: number[] | null, warm: number): number {
  const all: number[] = [];
  const seen: number[] = [];
  for (let k = Math.max(1, warm); k + 1 < ends.length; k++) {
    const t = ends[k + 1] - ends[k];
    all.push(t);
    if (!sides || sides.indexOf(sides[k]) < k) seen.push(t);
  }
  const xs = (seen.length ? seen : all).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

/**
 * Seconds the pending tasks of one layer atlas should take here: a calibration render (the first batch
 * of units, CALIBRATION_STEPS steps, nothing written) times its steps after the warm-up, and the tasks'
 * relative costs (fvCostScale: steps, pixels, images per unit) scale its steady step (steadyStep) to the whole atlas.
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
    onProgress: (done) => {
      stamps[done] = performance.now();
    },
  });
  // MACO's crops all have one side.
  const sides = s.param === 'maco' ? null : warpSides(s.size, transformsOf(s), s.seed, steps);
  const step = steadyStep(stamps, sides, warm) / 1000;
  const secondsPerCost = (step * s.steps) / (units.length * fvCostScale(t));
  return secondsPerCost * tasks.reduce((sum, x) => sum + fvCostScale(x), 0);
}

/** `42 s` below a minute and a half, else `20.5 min`. */
export function duration(seconds: number): string {
  return Math.abs(seconds) < 90 ? `${seconds.toFixed(0)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** One line for the log and the terminal: what was decided and why, and how to get what was left out. */
export function describeDecision(d: AtlasDecision, minutes: number): string {
  const what = `layer atlas ${d.layer} (${d.recipe}, ${d.pending} of ${d.units} units to render)`;
  const est = `about ${duration(d.estimate)} here, ${duration(d.left)} left of the ${minutes}-minute budget`;
  return d.admitted
    ? `budget: ${what}: ${est}: runs`
    : `budget: ${what}: ${est}: left out (whole). Run again to add it (what is done is kept), or set no limit: --budget none / ATLAS_BUDGET=none`;
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
