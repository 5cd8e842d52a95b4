// The site's number formats (src/lib/format.ts): what pages print, with formatters made once.
import { describe, expect, it } from 'vitest';
import { num, signed, statText } from '../../src/lib/format.ts';

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
