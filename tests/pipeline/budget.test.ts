import { describe, expect, it } from 'vitest';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { admits, describeDecision, describeHeadStart, ESTIMATE_MARGIN, headStart, parseBudget, pendingAtlases, renderTime, resolveBudget, stepCosts } from '../../generator/pipeline/budget.ts';
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
    expect(describeDecision(d, 28)).toMatch(/layer atlas block3_conv4 \(grid, 256 of 256 units to render\): about 20\.0 min here \(26\.0 min with a 30% margin\), 6\.5 min left of the 28-minute budget: left out \(whole\)\. Run again/);
    expect(describeDecision({ ...d, admitted: true }, 28)).toMatch(/: runs$/);
    expect(describeDecision({ ...d, estimate: 42, left: -3 }, 1)).toMatch(/about 42 s here \(55 s with a 30% margin\), -3 s left of the 1-minute budget/);
  });

  it('gives what is left to whole batches of the first units of an atlas left out (a head start)', () => {
    // 256 units in batches of 4, estimated 1200 s: 4.6875 s a unit, 6.09375 s with the 30% margin, 24.375 s a batch.
    const d = { layer: 'block3_conv4', recipe: 'grid', pending: 256, units: 256, estimate: 1200, left: 390, admitted: false };
    const tasks = Array.from({ length: 256 }, (_, i) => ({ unit: 10 + i, settings: { batch: 4 } }));
    const units = (left: number) => headStart(d, tasks, left).map((t) => t.unit);
    expect(units(24.375 * 16 + 1)).toEqual(Array.from({ length: 64 }, (_, i) => 10 + i));
    expect(units(24.375 * 16 - 1)).toHaveLength(60);
    expect(units(24.374)).toEqual([]);
    expect(units(-5)).toEqual([]);
    // Never more than it has pending; a unit with two tasks (e.g. two objectives) brings both.
    expect(units(1e9)).toHaveLength(256);
    const two = [...tasks.slice(0, 4), { unit: 11, settings: { batch: 4 } }];
    expect(headStart({ ...d, pending: 4, estimate: 4 / ESTIMATE_MARGIN }, two, 4).map((t) => t.unit)).toEqual([10, 11, 12, 13, 11]);
    expect(describeHeadStart(d, 64, 400)).toMatch(/layer atlas block3_conv4 \(grid\): a head start on 64 of its 256 units to render, with the 6\.7 min left \(about 5\.0 min\); kept for the next run/);
  });

  it('reads a calibration as steady steps, session builds (a new input side) and curve measurements', () => {
    // Step k ends at ends[k + 1]: 10 s a step; steps 3 and 5 meet new sides (61, 62) and build sessions
    // (+100 s); steps 4 and 8 also measure the curve (every 4 steps: +3 s); step 0 is the warm-up.
    const ends = [NaN, 0, 10, 20, 130, 143, 253, 263, 273, 286, 296];
    const sides = [60, 60, 60, 61, 61, 62, 62, 60, 61, 62];
    expect(stepCosts(ends, sides, 1, 4)).toEqual({ steady: 10, newSide: 100, measure: 3 });
    // Without sides (MACO's crops: one side, built in the warm-up) no step is a build: all but the measurements are steady.
    expect(stepCosts([NaN, 0, 10, 20, 32, 45, 55, 63], null, 1, 4)).toEqual({ steady: 10, newSide: 0, measure: 3 });
    // A kind the calibration did not meet adds nothing; a calibration of builds alone still has a step time.
    expect(stepCosts([NaN, 0, 5], [60, 61], 1, 16)).toEqual({ steady: 5, newSide: 0, measure: 0 });
  });

  it('models a whole render: every step, one build per distinct side, a measurement every curveEvery steps and after the last', () => {
    const c = { steady: 10, newSide: 100, measure: 3 };
    // 8 steps, sides 60..62 (3 builds), measurements at steps 0 and 4 and after the last (3).
    expect(renderTime(c, 8, [60, 61, 60, 62, 61, 60, 60, 62], 4)).toBe(80 + 300 + 9);
    expect(renderTime(c, 9, null, 4)).toBe(90 + 100 + 4 * 3);
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
