// Dotted paths into generated JSON (src/lib/data-path.ts): plain keys and indices, "*" and "last", and
// errors that say where a path stops.
import { describe, expect, it } from 'vitest';
import { pathNumber, walkPath } from '../../src/lib/data-path.ts';

const doc = { a: { list: [{ s: 'x', v: 1 }, { s: 'y', v: 2 }, { s: 'z', v: 3 }], n: 4 }, empty: [] };

describe('walkPath', () => {
  it('follows keys and indices', () => {
    expect(walkPath(doc, 'a.list.1.v')).toEqual([{ path: 'a.list.1.v', value: 2 }]);
  });

  it('expands "*" over a list, and limits it to the first n', () => {
    expect(walkPath(doc, 'a.list.*.s').map((p) => p.value)).toEqual(['x', 'y', 'z']);
    expect(walkPath(doc, 'a.list.*.v', 2)).toEqual([
      { path: 'a.list.0.v', value: 1 },
      { path: 'a.list.1.v', value: 2 },
    ]);
    expect(() => walkPath(doc, 'a.list.*.v', 4)).toThrow('a.list has 3 elements, fewer than the 4 claimed');
  });

  it('reads a list\'s "length"', () => {
    expect(pathNumber(doc, 'a.list.length')).toBe(3);
  });

  it('reads "last" as the last element', () => {
    expect(walkPath(doc, 'a.list.last.v')).toEqual([{ path: 'a.list.2.v', value: 3 }]);
    expect(() => walkPath(doc, 'empty.last')).toThrow('empty is an empty list');
  });

  it('says where a path stops', () => {
    expect(() => walkPath(doc, 'a.nope')).toThrow('path "a.nope": a has no "nope" (keys list, n)');
    expect(() => walkPath(doc, 'a.n.deeper')).toThrow('stops at a.n, which is number');
    expect(() => walkPath(doc, 'a.*')).toThrow('"*" needs a list, but a is object');
    expect(() => walkPath(doc, '')).toThrow('empty path');
  });
});

describe('pathNumber', () => {
  it('is the one number a path leads to', () => {
    expect(pathNumber(doc, 'a.n')).toBe(4);
    expect(() => pathNumber(doc, 'a.list.0.s')).toThrow('is string, not a number');
    expect(() => pathNumber(doc, 'a.list.*.v')).toThrow('leads to 3 values, not one number');
  });
});
