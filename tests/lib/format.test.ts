// The site's number formats (src/lib/format.ts): what pages print, with formatters made once.
import { describe, expect, it } from 'vitest';
import { firingText, num, percent, signed, statText, stimulusText, topClassesText } from '../../src/lib/format.ts';

describe('num', () => {
  it('gives 4 significant digits, grouped thousands, exponents outside 1e-4..1e6', () => {
    expect(num(32280.4)).toBe('32,280');
    expect(num(0.123456)).toBe('0.1235');
    expect(num(-1541.2)).toBe('-1,541');
    expect(num(0.0001234, 3)).toBe('0.000123');
    expect(num(0.00001234)).toBe('1.234e-5');
    expect(num(2.5e6)).toBe('2.500e+6');
    expect(num(0)).toBe('0');
    expect(num(Number.NaN)).toBe('NaN');
  });

  it('says the same as toLocaleString, which it replaces', () => {
    for (const v of [1, 12.5, 999.95, 1234.5678, -0.5, 0.000999, 98765.4321]) {
      expect(num(v)).toBe(Number(v.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 8 }));
    }
  });
});

describe('signed and statText', () => {
  it('keep the sign and the asked decimals', () => {
    expect(signed(0.1123)).toBe('+0.112');
    expect(signed(-0.1123)).toBe('−0.112');
    expect(statText(-0.5, { digits: 2 })).toBe('−0.50');
    expect(statText(0.625, { digits: 1, percent: true })).toBe('62.5%');
    expect(statText(1234.5, { digits: 0 })).toBe('1,235');
  });
});

describe('percent', () => {
  it('writes a true zero as 0% and a positive share below 0.05% as <0.1%, never both as 0.0%', () => {
    expect(percent(0)).toBe('0%');
    expect(percent(0.0004)).toBe('<0.1%');
    expect(percent(0.0005)).toBe('0.1%');
    expect(percent(0.0349)).toBe('3.5%');
    expect(percent(0.894)).toBe('89%');
    expect(percent(1)).toBe('100%');
  });
});

describe('stimulusText', () => {
  it("names a tuning's preferred stimulus with its sizes", () => {
    expect(stimulusText({ kind: 'circle', radius: 8, width: 6 })).toBe('ring, radius 8 px, stroke 6 px');
    expect(stimulusText({ kind: 'circle', radius: 11.5, width: 3, filled: true })).toBe('disc, radius 11.5 px');
    expect(stimulusText({ kind: 'ellipse', radius: 5.5, aspect: 0.7, angle: 45, width: 3 })).toBe('ellipse outline, semi-major axis 5.5 px, aspect 0.7, at 45°, stroke 3 px');
    expect(stimulusText({ kind: 'arc', orientation: 315, curvature: 0.125, length: 12.6, width: 3 })).toBe('arc of radius 8 px, length 12.6 px, stroke 3 px, facing 315°');
    expect(stimulusText({ kind: 'arc', orientation: 90, curvature: 0, length: 12, width: 3 })).toBe('straight segment, length 12 px, stroke 3 px, normal at 90°');
    expect(stimulusText({ kind: 'line', orientation: 30, length: 20, width: 2 })).toBe('line, length 20 px, stroke 2 px, at 30°');
    expect(stimulusText({ kind: 'blob', size: 3 })).toBe('kind blob, size 3');
  });
});

describe('topClassesText', () => {
  it('lists the first classes, saying so when each rests on one image', () => {
    const one = [{ label: 'bald_eagle', images: 1 }, { label: 'kite', images: 1 }, { label: 'vulture', images: 3 }];
    expect(topClassesText(one, 2)).toBe('bald eagle, kite (one image each)');
    expect(topClassesText(one, 3)).toBe('bald eagle, kite, vulture');
    expect(topClassesText([{ label: 'kite' }], 3)).toBe('kite');
    expect(topClassesText([], 3)).toBe('');
  });
});

describe('firingText', () => {
  it('says how often and, when the data has it, how widely a unit fires', () => {
    expect(firingText({ firing_rate: 1, position_rate: 0.4173, images: 1000 })).toBe('fires at 42% of positions on average, somewhere in 100% of 1,000 images');
    expect(firingText({ firing_rate: 0.5, images: 40 }, 'dataset images')).toBe('fires on 50% of 40 dataset images');
  });
});
