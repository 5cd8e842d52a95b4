import { describe, expect, it } from 'vitest';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { admits, describeDecision, parseBudget, pendingAtlases, resolveBudget, steadyStep } from '../../generator/pipeline/budget.ts';
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
    expect(admits(20 * 60, 30, 10 * 60)).toBe(true);
    expect(admits(20 * 60, 30, 10 * 60 + 1)).toBe(false);
    const d = { layer: 'block3_conv4', recipe: 'grid', pending: 256, units: 256, estimate: 1230, left: 390, admitted: false };
    expect(describeDecision(d, 28)).toMatch(/layer atlas block3_conv4 \(grid, 256 of 256 units to render\): about 20\.5 min here, 6\.5 min left of the 28-minute budget: left out \(whole\)\. Run again/);
    expect(describeDecision({ ...d, admitted: true }, 28)).toMatch(/: runs$/);
    expect(describeDecision({ ...d, estimate: 42, left: -3 }, 1)).toMatch(/about 42 s here, -3 s left of the 1-minute budget/);
  });

  it("times a calibration by its steady steps: after the warm-up, and not those that meet a new input side", () => {
    // Step k ends at ends[k + 1]; steps 3 and 5 meet new sides (60, 61) and build sessions (slow).
    const ends = [NaN, 0, 10, 20, 120, 130, 230, 241, 250, 262];
    const sides = [60, 60, 60, 61, 61, 62, 62, 60, 61];
    expect(steadyStep(ends, sides, 2)).toBe(10);
    // Without sides (MACO: one side) every step after the warm-up counts: the median still skips the two builds.
    expect(steadyStep(ends, null, 2)).toBe(11);
    expect(steadyStep([NaN, 0, 5], [60, 61], 1)).toBe(5);
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
