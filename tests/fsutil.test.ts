import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from '../generator/fsutil.ts';

describe('atomic writes', () => {
  it('creates the folder, replaces the file, and leaves no temp file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-fs-'));
    const file = path.join(dir, 'a', 'b', 'x.json');
    writeJsonAtomic(file, { v: 1 });
    writeFileAtomic(file, Buffer.from('second'));
    expect(readFileSync(file, 'utf8')).toBe('second');
    expect(readdirSync(path.dirname(file))).toEqual(['x.json']);
    writeJsonAtomic(file, { v: 2 });
    expect(readFileSync(file, 'utf8')).toBe('{\n "v": 2\n}\n');
  });

  it('removes its temp file and throws when the rename fails', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-fs-'));
    const target = path.join(dir, 'taken');
    mkdirSync(path.join(target, 'inside'), { recursive: true }); // a non-empty folder cannot be replaced by a file
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
