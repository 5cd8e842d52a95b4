// Running a tune's stimuli through the network: one unit at the probe, batched, with one progress count
// over every sweep of the tune (the total is what the tune planned, or more once it is passed).
import type { Engine } from '../model/engine.ts';
import { angles, measure, type MeasureOptions, type Probe, type Stimulus } from './measure.ts';
import type { Shape } from './shapes.ts';
import { arr, type AspectSweep } from './tuning-result.ts';

/** An ellipse "of the same size" as a circle of radius r: the same semi-major axis, or the same area (semi-axes r/sqrt(k), r*sqrt(k)). */
export function ellipseAxes(radius: number, aspect: number, how: 'major' | 'area'): { radius: number; aspect: number } {
  return how === 'area' ? { radius: radius / Math.sqrt(aspect), aspect } : { radius, aspect };
}

export class Sweeper {
  /** Stimuli the tune will measure in all (for the progress total). */
  planned = 0;
  private done = 0;

  constructor(
    private readonly engine: Engine,
    private readonly probe: Probe,
    private readonly unit: number,
    private readonly opts: MeasureOptions,
    private readonly onProgress?: (done: number, total: number) => void,
  ) {}

  /** Pre- and post-ReLU responses of the unit to each stimulus. */
  async run(stimuli: Stimulus[]): Promise<{ pre: number[]; post: number[] }> {
    const r = await measure(this.engine, this.probe, stimuli, [this.unit], {
      ...this.opts,
      onProgress: (d) => this.onProgress?.(this.done + d, Math.max(this.planned, this.done + stimuli.length)),
    });
    this.done += stimuli.length;
    return { pre: Array.from(r.pre), post: Array.from(r.post) };
  }

  /** Responses over rows x cols, [row][col]. */
  async grid(rows: number[], cols: number[], make: (row: number, col: number) => Shape): Promise<{ pre: number[][]; post: number[][] }> {
    const r = await this.run(rows.flatMap((row) => cols.map((col) => ({ shapes: make(row, col) }))));
    const cut = (v: number[]) => rows.map((_, i) => v.slice(i * cols.length, (i + 1) * cols.length));
    return { pre: cut(r.pre), post: cut(r.post) };
  }

  /** Ellipse outlines of every aspect at `nAngles` angles over 180 degrees, around a circle of radius `radius`. */
  async aspectSweep(radius: number, width: number, nAngles: number, aspects: number[], ellipseSize: 'major' | 'area'): Promise<AspectSweep> {
    const angs = angles(nAngles, 180);
    const g = await this.grid(angs, aspects, (a, k) => ({ kind: 'ellipse', ...ellipseAxes(radius, k, ellipseSize), angle: a, width }));
    const maxOver = (m: number[][]) => aspects.map((_, j) => Math.max(...m.map((row) => row[j])));
    return {
      radius,
      width,
      ellipseSize,
      aspects,
      angles: angs,
      pre: arr(maxOver(g.pre)),
      post: arr(maxOver(g.post)),
      preByAngle: g.pre.map(arr),
      postByAngle: g.post.map(arr),
    };
  }
}
