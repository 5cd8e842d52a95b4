// Progress of a generate run as plain lines, for logs (CI, nohup, cluster jobs) where no bar can be drawn:
// one line when jobs start, one when each finishes, and a status line inside long jobs when nothing
// was printed for `interval` seconds. Each line names the stage, the job, done/total, elapsed and ETA.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { clock } from '../progress-bar.ts';
import type { Stage } from './jobs.ts';

// Shared with every command's progress (progress-bar.ts, which must not import the pipeline: the dataset
// cache's code version would follow pipeline edits).
export { clock, progressInterval } from '../progress-bar.ts';

export type ProgressEvent =
  | { kind: 'start'; stage: Stage; jobs: string[] }
  | { kind: 'finish'; stage: Stage; job: string; seconds: number }
  /** Inside the running jobs: `done` of `total` (images, steps) of what `label` says. */
  | { kind: 'inner'; stage: Stage; label: string; done: number; total: number; unit: string; share?: { from: number; to: number } };

export interface TrackedJob {
  id: string;
  stage: Stage;
  /** Expected cost (seconds of its last run, when known): the ETA weighs jobs by it. */
  weight?: number;
  /** Without a last run: its cost relative to its stage's typical job (a grid visualization is ~1/25 of a full one). */
  scale?: number;
}

/** A visualization's cost relative to the full recipe's (128 px, 512 steps, one image): steps x pixels x images. */
export function fvCostScale(t: { objective: string; settings: { size: number; steps: number; maco?: { crops: number; input: number } } }): number {
  // The network's pixels per image-step: the image (warped), or MACO's crops at the network's input.
  const pixels = t.settings.maco ? t.settings.maco.crops * (t.settings.maco.input / 128) ** 2 : (t.settings.size / 128) ** 2;
  return (t.settings.steps / 512) * pixels * (t.objective === 'diversity' ? 4 : 1);
}

/**
 * Rough seconds per job of each stage for the default profile on a 2-core CPU (only their ratios matter):
 * on a first run they keep a thousand-image dataset pass from weighing as much as a millisecond circuit.
 */
const STAGE_PRIORS: Record<Stage, number> = { examples: 40, fv: 40, tuning: 5, pose: 2, graph: 1, circuits: 0.2, model: 0.5 };

export class ProgressTracker {
  private readonly weights = new Map<string, number>();
  private readonly held = new Map<string, number>();
  private until: number | null = null;
  private totalWeight: number;
  private readonly t0: number;
  private done = 0;
  private doneWeight = 0;
  private stage = '';
  /** The jobs started last (one group), how many of them finished, and how far inside them we are (0..1 of the group). */
  private group: { ids: string[]; weight: number; finished: number; finishedWeight: number; fraction: number; label: string } | null = null;
  private lastLine = -Infinity;
  /** What runs outside any job group (see phase()). */
  private activity = 'working';

  constructor(
    jobs: TrackedJob[],
    private readonly interval = 30,
    private readonly now = () => performance.now() / 1000,
  ) {
    // A job without a known cost counts as the mean known cost (per unit of scale) of its stage, else as its
    // stage's prior, times its scale.
    const mean = (xs: TrackedJob[]) => {
      const known = xs.filter((j) => j.weight !== undefined && j.weight > 0);
      return known.length ? known.reduce((a, j) => a + j.weight! / (j.scale ?? 1), 0) / known.length : undefined;
    };
    const byStage = new Map<Stage, number>();
    for (const j of jobs) if (!byStage.has(j.stage)) byStage.set(j.stage, mean(jobs.filter((x) => x.stage === j.stage)) ?? STAGE_PRIORS[j.stage]);
    for (const j of jobs) this.weights.set(j.id, j.weight !== undefined && j.weight > 0 ? j.weight : byStage.get(j.stage)! * (j.scale ?? 1));
    this.totalWeight = [...this.weights.values()].reduce((a, b) => a + b, 0);
    this.t0 = now();
  }

  /** Jobs that may not run (layer atlases under a budget): out of the count and the ETA until released. */
  hold(ids: string[]): void {
    for (const id of ids) {
      const w = this.weights.get(id);
      if (w === undefined) continue;
      this.held.set(id, w);
      this.totalWeight -= w;
      this.weights.delete(id);
    }
  }

  /** Held jobs that will run after all. */
  release(ids: string[]): void {
    for (const id of ids) {
      const w = this.held.get(id);
      if (w === undefined) continue;
      this.held.delete(id);
      this.weights.set(id, w);
      this.totalWeight += w;
    }
  }

  /**
   * A time (this tracker's clock) the run stops by whatever is left: a head start renders batches while the
   * budget lasts, so its ETA is at most the time to that end. null lifts it.
   */
  stopBy(at: number | null): void {
    this.until = at;
  }

  get total(): number {
    return this.weights.size;
  }

  /** Jobs done, counting the running group's fraction: for a bar. */
  get position(): number {
    const g = this.group;
    return this.done + (g ? Math.max(0, g.fraction * g.ids.length - g.finished) : 0);
  }

  private eta(): string {
    const g = this.group;
    const w = this.doneWeight + (g ? Math.max(0, g.fraction * g.weight - g.finishedWeight) : 0);
    const cap = this.until === null ? Infinity : Math.max(0, this.until - this.now());
    if (w >= this.totalWeight || cap === 0) return '0:00';
    if (w <= 0) return cap < Infinity ? clock(cap) : '?';
    return clock(Math.min(cap, ((this.now() - this.t0) * (this.totalWeight - w)) / w));
  }

  private line(what: string): string {
    this.lastLine = this.now();
    const pct = this.total ? Math.floor((100 * this.position) / this.total) : 100;
    return `progress: ${this.stage} | ${this.done}/${this.total} jobs (${pct}%) | ${what} | elapsed ${clock(this.now() - this.t0)} | ETA ${this.eta()}`;
  }

  /** Applies an event; returns the line to print, if any (inner events only after `interval` s of silence). */
  update(e: ProgressEvent): string | null {
    this.stage = e.stage;
    if (e.kind === 'start') {
      const weight = e.jobs.reduce((a, id) => a + (this.weights.get(id) ?? 0), 0);
      this.group = { ids: e.jobs, weight, finished: 0, finishedWeight: 0, fraction: 0, label: '' };
      return this.line(`start ${e.jobs[0]}${e.jobs.length > 1 ? ` + ${e.jobs.length - 1} more` : ''}`);
    }
    if (e.kind === 'finish') {
      const w = this.weights.get(e.job) ?? 0;
      this.done++;
      this.doneWeight += w;
      const g = this.group;
      if (g?.ids.includes(e.job)) {
        g.finished++;
        g.finishedWeight += w;
        if (g.finished === g.ids.length) this.group = null;
      }
      return this.line(`finished ${e.job} in ${e.seconds.toFixed(1)} s`);
    }
    if (this.group) {
      const f = e.total > 0 ? Math.min(1, e.done / e.total) : 0;
      this.group.fraction = e.share ? e.share.from + (e.share.to - e.share.from) * f : f;
      this.group.label = `${e.label}: ${e.done}/${e.total} ${e.unit}`;
    }
    return this.heartbeat();
  }

  /** Work after the jobs (assembling): said once, then in status lines. */
  phase(stage: string, what: string): string {
    this.stage = stage;
    this.group = null;
    this.activity = what;
    return this.line(what);
  }

  /** A status line if nothing was printed for `interval` seconds (call it from a timer too). */
  heartbeat(): string | null {
    if (this.now() - this.lastLine < this.interval) return null;
    const g = this.group;
    const running = g ? `running ${g.ids.length > 1 ? `${g.ids.length - g.finished} of ${g.ids.length} jobs from ${g.ids[0]}` : g.ids[0]}` : this.activity;
    return this.line(g?.label ? `${running}, ${g.label}` : running);
  }
}

/**
 * Appends timestamped lines to <out>/run.log (the run's messages and progress lines, whatever the
 * terminal shows): the record of a long run, beside run.json. Starts with a header naming the command.
 */
export function openRunLog(out: string, command: string): (line: string) => void {
  mkdirSync(out, { recursive: true });
  const file = path.join(out, 'run.log');
  const write = (line: string) => appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
  write(`=== ${command}`);
  return write;
}
