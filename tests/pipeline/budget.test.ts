import { describe, expect, it } from 'vitest';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { admits, describeDecision, describeHeadStart, describeHeadStartDone, ESTIMATE_MARGIN, nextBatchSeconds, parseBudget, pendingAtlases, renderTime, atlasTime, resolveBudget, stepCosts, unitBatches } from '../../generator/pipeline/budget.ts';
import { parseConfig } from '../../generator/pipeline/config.ts';
import { planAtlas } from '../../generator/pipeline/plan.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

describe('generation budget', () => {
  it('parses minutes or none, and says what is wrong with anything else', () => {
    expect(parseBudget('30', '--budget')).toBe(30);
    expect(parseBudget('0.5', '--budget')).toBe(0.5);
    expect(parseBudget('none', '--budget')).toBeNull();
    expect(() => parseBudget('30m', '--budget')).toThrow(/--budget '30m' is not a number of minutes/);
    expect(() => parseBudget('0', 'ATLAS_BUDGET')).toThrow(/ATLAS_BUDGET '0'/);
  });

  it('takes the flag, else $ATLAS_BUDGET, else the config', () => {
    const saved = process.env.ATLAS_BUDGET;
    try {
      delete process.env.ATLAS_BUDGET;
      expect(resolveBudget(undefined, { budget: { minutes: 28 } })).toBe(28);
      expect(resolveBudget(undefined, { budget: null })).toBeNull();
      process.env.ATLAS_BUDGET = 'none';
      expect(resolveBudget(undefined, { budget: { minutes: 28 } })).toBeNull();
      expect(resolveBudget('12', { budget: { minutes: 28 } })).toBe(12);
    } finally {
      if (saved === undefined) delete process.env.ATLAS_BUDGET;
      else process.env.ATLAS_BUDGET = saved;
    }
  });

  it('admits an atlas only when spent + estimate stays within the budget', () => {
    // 10 minutes left: an estimate of 10 / ESTIMATE_MARGIN minutes fits with its margin, a second more does not.
    expect(ESTIMATE_MARGIN).toBeGreaterThan(1);
    expect(admits(20 * 60, 30, (10 * 60) / ESTIMATE_MARGIN - 0.01)).toBe(true);
    expect(admits(20 * 60, 30, (10 * 60) / ESTIMATE_MARGIN + 1)).toBe(false);
    const d = { layer: 'block3_conv4', recipe: 'grid', pending: 256, units: 256, estimate: 1200, left: 390, admitted: false };
    expect(describeDecision(d, 28)).toMatch(/layer atlas block3_conv4 \(grid, 256 of 256 units to render\): about 20\.0 min here \(26\.0 min with a 30% margin\), 6\.5 min left of the 28-minute budget: too long to run whole; its units get what the budget leaves, batch by batch, and the rest wait for the next run \(what is done is kept; no limit: --budget none/);
    expect(describeDecision({ ...d, admitted: true }, 28)).toMatch(/: runs$/);
    expect(describeDecision({ ...d, estimate: 42, left: -3 }, 1)).toMatch(/about 42 s here \(55 s with a 30% margin\), -3 s left of the 1-minute budget/);
  });

  it('splits an atlas left out into whole batches of its units, in plan order (a head start renders them one by one)', () => {
    const tasks = Array.from({ length: 10 }, (_, i) => ({ unit: 10 + i, settings: { batch: 4 } }));
    expect(unitBatches(tasks).map((b) => b.map((t) => t.unit))).toEqual([[10, 11, 12, 13], [14, 15, 16, 17], [18, 19]]);
    expect(unitBatches([])).toEqual([]);
    // A unit with two tasks (e.g. two objectives) brings both into its batch.
    const two = [...tasks.slice(0, 5), { unit: 11, settings: { batch: 4 } }];
    expect(unitBatches(two).map((b) => b.map((t) => t.unit))).toEqual([[10, 11, 12, 13, 11], [14]]);
  });

  it('expects the first batch of a head start at the estimate with its margin, the next ones at the pace measured', () => {
    // 256 units estimated at 1200 s: 4.6875 s a unit, more with the margin.
    const d = { layer: 'block3_conv4', recipe: 'grid', pending: 256, units: 256, estimate: 1200, left: 390, admitted: false };
    expect(nextBatchSeconds(d, 4, { units: 0, seconds: 0 })).toBeCloseTo(4 * 4.6875 * ESTIMATE_MARGIN, 9);
    expect(nextBatchSeconds(d, 4, { units: 8, seconds: 30 })).toBeCloseTo(15, 9);
    expect(nextBatchSeconds(d, 2, { units: 8, seconds: 30 })).toBeCloseTo(7.5, 9);
    expect(describeHeadStart(d, 400, 24.375)).toMatch(/layer atlas block3_conv4 \(grid\): a head start with the 6\.7 min left, batch by batch while the budget lasts \(about 24 s a batch\)$/);
    expect(describeHeadStartDone(d, { units: 64, seconds: 290 })).toBe('budget: the head start on block3_conv4 (grid) rendered 64 of its 256 units in 4.8 min (estimated 5.0 min); the other 192 wait for the next run (its layer page says the atlas is incomplete until then)');
    expect(describeHeadStartDone(d, { units: 256, seconds: 1190 })).toBe('budget: the head start on block3_conv4 (grid) rendered 256 of its 256 units in 19.8 min (estimated 20.0 min): the layer atlas is complete');
  });

  it("reads a calibration as steady steps, session builds (a new input side), sessions' second runs and curve measurements", () => {
    // Step k ends at ends[k + 1]: 10 s a step; step 5 meets a new side (61) and builds its session (+100 s);
    // the second run of a side (steps 1 and 6) costs +20 s; steps 4 and 8 also measure the curve (every 4
    // steps: +3 s); step 0 is the warm-up.
    const ends = [NaN, 0, 30, 40, 50, 63, 173, 203, 213, 226, 236];
    const sides = [60, 60, 60, 60, 60, 61, 61, 61, 60, 61];
    expect(stepCosts(ends, sides, 1, 4)).toEqual({ steady: 10, newSide: 100, secondRun: 20, measure: 3 });
    // Counted as steady, the second runs would read 16.7 s a step (the bias this kind removes).
    // A measurement on a new side or a second run is neither kind: left out.
    expect(stepCosts([NaN, 0, 30, 40, 50, 173, 203], [60, 60, 60, 60, 61, 61], 1, 4)).toEqual({ steady: 10, newSide: 0, secondRun: 20, measure: 0 });
    // Without sides (MACO's crops: one side, built in the warm-up) no step is a build: all but the measurements are steady.
    expect(stepCosts([NaN, 0, 10, 20, 32, 45, 55, 63], null, 1, 4)).toEqual({ steady: 10, newSide: 0, secondRun: 0, measure: 3 });
    // A kind the calibration did not meet adds nothing; a calibration of builds alone still has a step time.
    expect(stepCosts([NaN, 0, 5], [60, 61], 1, 16)).toEqual({ steady: 5, newSide: 0, secondRun: 0, measure: 0 });
  });

  it('models a whole render: every step, one build per distinct side and one second run per side met twice, a measurement every curveEvery steps and after the last', () => {
    const c = { steady: 10, newSide: 100, secondRun: 20, measure: 3 };
    // 8 steps, sides 60..62 (3 builds, 3 second runs), measurements at steps 0 and 4 and after the last (3).
    expect(renderTime(c, 8, [60, 61, 60, 62, 61, 60, 60, 62], 4)).toBe(80 + 300 + 60 + 9);
    // A side met once has no second run.
    expect(renderTime(c, 4, [60, 61, 60, 60], 4)).toBe(40 + 200 + 20 + 2 * 3);
    expect(renderTime(c, 9, null, 4)).toBe(90 + 100 + 20 + 4 * 3);
    // An atlas of 2.5 such batches builds its three sides' sessions and runs each a second time once (later batches are fed their weights).
    expect(atlasTime(c, 8, [60, 61, 60, 62, 61, 60, 60, 62], 4, 2.5)).toBe(360 + 2.5 * (80 + 9));
    expect(atlasTime(c, 8, [60, 61, 60, 62, 61, 60, 60, 62], 4, 1)).toBe(renderTime(c, 8, [60, 61, 60, 62, 61, 60, 60, 62], 4));
  });

  it('plans layer atlases deepest first; a task a featured unit needs too is not the atlas alone', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const plan = planAtlas(
      parseConfig({
        featured: [{ layer: 'block2_conv1', unit: 5, objectives: ['channel'], recipes: ['full'] }],
        layers: [
          { layer: 'block1_conv2', visualize: 'all', recipe: 'grid' },
          { layer: 'block2_conv1', visualize: [4, 5], recipe: 'full' },
          { layer: 'block3_conv1' },
        ],
      }),
      vgg19,
      w,
    );
    // block3_conv1 has examples only (nothing to visualize): no atlas to budget.
    expect(plan.atlases.map((a) => [a.layer, a.recipe, a.units, a.index])).toEqual([
      ['block2_conv1', 'full', 2, 1],
      ['block1_conv2', 'grid', 64, 0],
    ]);
    const b2 = plan.fv.filter((t) => t.layer === 'block2_conv1');
    expect(b2.map((t) => [t.unit, t.atlas])).toEqual([
      [4, 1],
      [5, undefined],
    ]);
    const pending = pendingAtlases(plan.atlases, plan.fv);
    expect(pending.map((p) => [p.entry.layer, p.tasks.length])).toEqual([
      ['block2_conv1', 1],
      ['block1_conv2', 64],
    ]);
  });
});
