// Progress lines for logs: what each line says, when inner lines appear, and how the ETA is weighed.
import { describe, expect, it } from 'vitest';
import type { Stage } from '../../generator/pipeline/jobs.ts';
import { clock, fvCostScale, progressInterval, ProgressTracker, type TrackedJob } from '../../generator/pipeline/progress.ts';
import { examplesShares } from '../../generator/pipeline/stages/examples.ts';

function tracker(jobs: TrackedJob[], interval = 30) {
  let t = 1000;
  const p = new ProgressTracker(jobs, interval, () => t);
  return { p, advance: (s: number) => (t += s) };
}

describe('progress lines', () => {
  it('name the stage, the job, done/total, elapsed and ETA at each start and finish', () => {
    const { p, advance } = tracker([
      { id: 'fv:a:1:channel', stage: 'fv' },
      { id: 'fv:a:2:channel', stage: 'fv' },
    ]);
    expect(p.update({ kind: 'start', stage: 'fv', jobs: ['fv:a:1:channel'] })).toBe('progress: fv | 0/2 jobs (0%) | start fv:a:1:channel | elapsed 0:00 | ETA ?');
    advance(65);
    expect(p.update({ kind: 'finish', stage: 'fv', job: 'fv:a:1:channel', seconds: 65 })).toBe('progress: fv | 1/2 jobs (50%) | finished fv:a:1:channel in 65.0 s | elapsed 1:05 | ETA 1:05');
  });

  it('print inside a job only after `interval` seconds without a line, with the inner count', () => {
    const { p, advance } = tracker([{ id: 'examples:l1', stage: 'examples' }, { id: 'examples:l2', stage: 'examples' }], 30);
    p.update({ kind: 'start', stage: 'examples', jobs: ['examples:l1', 'examples:l2'] });
    advance(10);
    expect(p.update({ kind: 'inner', stage: 'examples', label: 'dataset pass', done: 100, total: 1000, unit: 'images' })).toBeNull();
    expect(p.heartbeat()).toBeNull();
    advance(21);
    expect(p.update({ kind: 'inner', stage: 'examples', label: 'dataset pass', done: 250, total: 1000, unit: 'images' })).toBe(
      'progress: examples | 0/2 jobs (25%) | running 2 of 2 jobs from examples:l1, dataset pass: 250/1000 images | elapsed 0:31 | ETA 1:33',
    );
    expect(p.heartbeat()).toBeNull();
    advance(30);
    expect(p.heartbeat()).toMatch(/^progress: examples \| 0\/2 jobs \(25%\) \| running .*dataset pass: 250\/1000 images \| elapsed 1:01 \| ETA 3:03$/);
  });

  it("never run backwards through a job's phases, each counted as its share of the jobs (the dataset pass, then the crops)", () => {
    const { p, advance } = tracker([{ id: 'examples:l1', stage: 'examples' }, { id: 'examples:l2', stage: 'examples' }], 1);
    const { pass, crops } = examplesShares(['l1', 'l2']);
    expect(pass).toEqual({ from: 0, to: 0.75 });
    expect(crops.get('l2')).toEqual({ from: 0.875, to: 1 });
    p.update({ kind: 'start', stage: 'examples', jobs: ['examples:l1', 'examples:l2'] });
    advance(75);
    expect(p.update({ kind: 'inner', stage: 'examples', label: 'dataset pass', done: 1000, total: 1000, unit: 'images', share: pass })).toMatch(/\(75%\) \| .*dataset pass: 1000\/1000 images \| elapsed 1:15 \| ETA 0:25$/);
    advance(5);
    // Without its share, the first crops would read as 10% of the jobs (and an ETA of 12 min).
    expect(p.update({ kind: 'inner', stage: 'examples', label: 'crops of l1', done: 80, total: 800, unit: 'images', share: crops.get('l1') })).toMatch(/\(76%\) \| .*crops of l1: 80\/800 images \| elapsed 1:20 \| ETA 0:25$/);
    advance(1);
    expect(p.update({ kind: 'inner', stage: 'examples', label: 'crops of l2', done: 400, total: 800, unit: 'images', share: crops.get('l2') })).toMatch(/\(93%\) \| .*crops of l2: 400\/800 images/);
  });

  it('say a phase that is not counted (share 0 to 0: MACO spectrum before the steps) without moving the count', () => {
    const { p, advance } = tracker([{ id: 'fv:a:1:channel:maco', stage: 'fv' }], 1);
    p.update({ kind: 'start', stage: 'fv', jobs: ['fv:a:1:channel:maco'] });
    advance(5);
    expect(p.update({ kind: 'inner', stage: 'fv', label: 'MACO magnitude spectrum at 256 px', done: 500, total: 1000, unit: 'images', share: { from: 0, to: 0 } })).toBe(
      'progress: fv | 0/1 jobs (0%) | running fv:a:1:channel:maco, MACO magnitude spectrum at 256 px: 500/1000 images | elapsed 0:05 | ETA ?',
    );
  });

  it('leave held jobs (layer atlases under a budget) out of the count and the ETA until released', () => {
    const { p, advance } = tracker([
      { id: 'fv:a:1:channel', stage: 'fv', weight: 10 },
      { id: 'fv:b:1:channel:grid', stage: 'fv', weight: 1 },
      { id: 'fv:b:2:channel:grid', stage: 'fv', weight: 1 },
    ]);
    p.hold(['fv:b:1:channel:grid', 'fv:b:2:channel:grid']);
    p.update({ kind: 'start', stage: 'fv', jobs: ['fv:a:1:channel'] });
    advance(10);
    expect(p.update({ kind: 'finish', stage: 'fv', job: 'fv:a:1:channel', seconds: 10 })).toBe('progress: fv | 1/1 jobs (100%) | finished fv:a:1:channel in 10.0 s | elapsed 0:10 | ETA 0:00');
    p.release(['fv:b:1:channel:grid', 'fv:b:2:channel:grid']);
    expect(p.total).toBe(3);
    expect(p.heartbeat()).toBeNull();
    advance(30);
    expect(p.heartbeat()).toMatch(/\| 1\/3 jobs \(33%\) \| .* \| elapsed 0:40 \| ETA 0:08$/);
  });

  it('end the ETA with the budget at the latest while a head start lasts (stopBy), and not after', () => {
    const { p, advance } = tracker([{ id: 'fv:b:1:channel:grid', stage: 'fv', weight: 100 }, { id: 'fv:b:2:channel:grid', stage: 'fv', weight: 100 }], 1);
    p.stopBy(1050);
    expect(p.update({ kind: 'start', stage: 'fv', jobs: ['fv:b:1:channel:grid'] })).toMatch(/ETA 0:50$/);
    p.stopBy(null);
    advance(100);
    expect(p.update({ kind: 'finish', stage: 'fv', job: 'fv:b:1:channel:grid', seconds: 100 })).toMatch(/ETA 1:40$/);
    p.stopBy(1130);
    advance(10);
    expect(p.heartbeat()).toMatch(/elapsed 1:50 \| ETA 0:20$/);
    advance(30);
    expect(p.heartbeat()).toMatch(/ETA 0:00$/);
    p.stopBy(null);
    advance(1);
    expect(p.heartbeat()).toMatch(/elapsed 2:21 \| ETA 2:21$/);
  });

  it('weigh the ETA by what jobs cost last time (unknown ones by their stage mean)', () => {
    const { p, advance } = tracker([
      { id: 'examples:l1', stage: 'examples', weight: 10 },
      { id: 'fv:a', stage: 'fv', weight: 90 },
      { id: 'fv:b', stage: 'fv' },
    ]);
    p.update({ kind: 'start', stage: 'examples', jobs: ['examples:l1'] });
    advance(10);
    // 10 of 190 weighed seconds done in 10 s: 180 s to go (by count it would say 20 s).
    expect(p.update({ kind: 'finish', stage: 'examples', job: 'examples:l1', seconds: 10 })).toMatch(/ETA 3:00$/);
  });

  it('weigh jobs never run by their stage prior: a dataset pass outweighs a circuit', () => {
    const { p, advance } = tracker([
      { id: 'circuits:l1', stage: 'circuits' },
      { id: 'examples:l1', stage: 'examples' },
    ]);
    p.update({ kind: 'start', stage: 'circuits', jobs: ['circuits:l1'] });
    advance(1);
    // 0.2 of 40.2 prior seconds done in 1 s: 200 s to go (by count it would say 1 s).
    expect(p.update({ kind: 'finish', stage: 'circuits', job: 'circuits:l1', seconds: 1 })).toMatch(/ETA 3:20$/);
  });

  it('scale a never-run visualization by its cost: a grid image weighs 1/16 of a full one, the mean known cost per unit of scale', () => {
    const grid = fvCostScale({ objective: 'channel', settings: { size: 64, steps: 128 } });
    expect(grid).toBe(1 / 16);
    expect(fvCostScale({ objective: 'diversity', settings: { size: 128, steps: 512 } })).toBe(4);
    const { p, advance } = tracker([
      { id: 'fv:l:0:channel', stage: 'fv', weight: 32, scale: 1 },
      ...Array.from({ length: 16 }, (_, i) => ({ id: `fv:l:${i}:channel:grid`, stage: 'fv' as const, scale: grid })),
    ]);
    p.update({ kind: 'start', stage: 'fv', jobs: ['fv:l:0:channel'] });
    advance(32);
    // 32 of 32 + 16 x 2 weighed seconds done in 32 s: 32 s to go (by count it would say 8:32).
    expect(p.update({ kind: 'finish', stage: 'fv', job: 'fv:l:0:channel', seconds: 32 })).toMatch(/ETA 0:32$/);
  });

  it('format clocks and read the interval from the environment', () => {
    expect([clock(7), clock(245), clock(3723)]).toEqual(['0:07', '4:05', '1:02:03']);
    expect(progressInterval(undefined)).toBe(30);
    expect(progressInterval('0.5')).toBe(0.5);
    expect(() => progressInterval('soon')).toThrow(/ATLAS_PROGRESS_INTERVAL='soon' is not a positive number/);
  });
});
