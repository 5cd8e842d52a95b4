// Tiny datasets for tests, built in a temp folder from links to the shared ImageNet sample (never copies).
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shared } from '../helpers/shared.ts';

export const SAMPLE = () => shared('datasets', 'imagenet-sample');

export function tempDir(prefix = 'atlas-ds-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** The first n sample images in sorted order: { wnid, name, file }. */
export function sampleImages(n: number, from = 0): Array<{ wnid: string; name: string; file: string }> {
  return readdirSync(SAMPLE())
    .sort()
    .slice(from, from + n)
    .map((wnid) => {
      const name = readdirSync(path.join(SAMPLE(), wnid))[0];
      return { wnid, name, file: path.join(SAMPLE(), wnid, name) };
    });
}

/** <dir>/<wnid>/<file> links for the first n sample images; returns dir. */
export function imageFolder(n: number, dir = tempDir()): string {
  for (const im of sampleImages(n)) {
    mkdirSync(path.join(dir, im.wnid), { recursive: true });
    symlinkSync(im.file, path.join(dir, im.wnid, im.name));
  }
  return dir;
}
