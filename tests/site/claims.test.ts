// Write-up claims (src/lib/claims.ts) against a real unit of the CI atlas: a claim the data supports
// holds, the same claim with the data's answer changed fails with a ClaimError that says what the data
// says, and a claim about data that does not exist is an ordinary error (it cannot be checked).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { UnitJson } from '../../generator/pipeline/schema.ts';
import type { Connection } from '../../src/lib/atlas.ts';
import { checkKernel, checkRank, checkValueClaim, ClaimError } from '../../src/lib/claims.ts';
import { num } from '../../src/lib/format.ts';

let u: UnitJson;
let inputs: Connection[];
beforeAll(() => {
  u = UnitJson.parse(JSON.parse(readFileSync(path.join(inject('generatedDir'), 'vgg19/block2_conv1/5/unit.json'), 'utf8')));
  inputs = u.circuit!.inputs;
});

describe('checkValueClaim', () => {
  it('holds when the number satisfies every bound, a number or another path', () => {
    const rate = u.examples!.firing_rate;
    const r = checkValueClaim(u, { path: 'examples.firing_rate', ge: rate, le: 'examples.firing_rate', gt: rate - 0.01 });
    expect(r.values).toEqual([{ path: 'examples.firing_rate', value: rate }]);
    expect(r.summary).toBe(`examples.firing_rate is ${num(rate)}; claimed: > ${num(rate - 0.01)} and ≥ ${num(rate)} and ≤ examples.firing_rate (${num(rate)})`);
    expect(() => checkValueClaim(u, { path: 'circuit.inputs.0.l2', lt: 'circuit.inputs.1.l2' })).toThrow(ClaimError);
    expect(() => checkValueClaim(u, { path: 'examples.firing_rate', gt: rate })).toThrow(/examples.firing_rate is .*, not > /);
  });

  it('claims "*" of every element, or of the first top', () => {
    const signs = inputs.map((c) => c.sign);
    const n = signs.findIndex((s) => s !== signs[0]);
    if (n < 0) expect(checkValueClaim(u, { path: 'circuit.inputs.*.sign', is: signs[0] }).values).toHaveLength(inputs.length);
    else {
      expect(checkValueClaim(u, { path: 'circuit.inputs.*.sign', is: signs[0], top: n }).summary).toContain(`circuit.inputs.*.sign (first ${n}): all ${n} values = "${signs[0]}"`);
      expect(() => checkValueClaim(u, { path: 'circuit.inputs.*.sign', is: signs[0], top: n + 1 })).toThrow(new RegExp(`circuit.inputs.${n}.sign is "${signs[n]}", not "${signs[0]}"`));
    }
    expect(checkValueClaim(u, { path: 'circuit.inputs.*.l2', gt: 0 }).values).toHaveLength(inputs.length);
    expect(() => checkValueClaim(u, { path: 'circuit.inputs.*.l2', gt: 0, top: inputs.length + 1 })).toThrow(`fewer than the ${inputs.length + 1} claimed`);
  });

  it('refuses a claim without a condition, and data that is not there (not a ClaimError)', () => {
    expect(() => checkValueClaim(u, { path: 'examples.firing_rate' })).toThrow('a claim needs a condition');
    expect(() => checkValueClaim(u, { path: 'examples.firing_rate', gt: 0, top: 2 })).toThrow('needs a path with "*"');
    let e: unknown;
    try {
      checkValueClaim(u, { path: 'tuning.circle.summary.ringVsDisc', gt: 0 });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(ClaimError);
  });
});

describe('checkRank', () => {
  it('gives the input at a rank and checks a named input’s rank', () => {
    const first = inputs[0];
    const ref = { model: 'vgg19', layer: first.layer, unit: first.unit };
    expect(checkRank(u, { by: 'l2', rank: 1 }).connection).toEqual(first);
    expect(checkRank(u, { by: 'l2', rank: 1, unit: ref }).rank).toBe(1);
    expect(checkRank(u, { by: 'l2', within: 2, unit: ref }).summary).toContain('among the top 2');
    expect(() => checkRank(u, { by: 'l2', rank: 2, unit: ref })).toThrow(new RegExp(`${first.layer}/${first.unit} is rank 1 of the inputs by kernel L2 norm of vgg19/block2_conv1/5, not rank 2`));
    const ex = u.circuit!.excitatory[0];
    expect(checkRank(u, { by: 'excitatory', rank: 1 }).connection.sum).toBe(Math.max(...u.circuit!.excitatory.map((c) => c.sum)));
    expect(checkRank(u, { by: 'inhibitory', rank: 1 }).connection.sum).toBe(Math.min(...u.circuit!.inhibitory.map((c) => c.sum)));
    expect(() => checkRank(u, { by: 'inhibitory', within: u.circuit!.inhibitory.length, unit: { model: 'vgg19', layer: ex.layer, unit: ex.unit } })).toThrow(ClaimError);
  });

  it('refuses ranks past what was generated and incomplete claims', () => {
    expect(() => checkRank(u, { by: 'l2', rank: inputs.length + 1 })).toThrow(`past the ${inputs.length} inputs`);
    expect(() => checkRank(u, { by: 'l2' })).toThrow('needs rank');
    expect(() => checkRank(u, { by: 'weight' as 'l2', rank: 1 })).toThrow('by must be one of l2, excitatory, inhibitory');
  });
});

describe('checkKernel', () => {
  const conn = (kernel: number[][]): Connection => ({ layer: 'block1_conv2', unit: 7, l2: 1, sum: 1, max: 1, sign: 'excitatory', kernel });
  const pooling = conn([
    [0.1, 0.2, 0.1],
    [0.2, 0.5, 0.2],
    [0.1, 0.2, 0.1],
  ]);

  it('checks the sign over the whole window and a centre peak', () => {
    expect(checkKernel(pooling, { sign: 'positive', peak: 'centre' })).toEqual(['positive over the whole 3×3 window', 'largest at its centre']);
    expect(() => checkKernel(pooling, { sign: 'negative' })).toThrow('is not negative over the whole window: [0][0] = 0.1');
    const edge = conn([
      [0.3, 0.2, -0.1],
      [0.2, 0.1, 0.2],
      [0.1, 0.2, 0.1],
    ]);
    expect(() => checkKernel(edge, { sign: 'positive' })).toThrow('[0][2] = -0.1');
    expect(() => checkKernel(edge, { peak: 'centre' })).toThrow('does not peak at its centre ([1][1] = 0.1): [0][0] = 0.3 is larger');
    expect(checkKernel(edge, {})).toEqual([]);
  });
});
