// The ImageNet class index in Keras' format ("i": [wnid, label]); ships with the project.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AtlasError } from '../errors.ts';
import { projectFile } from '../paths.ts';

export interface ImageNetClass {
  index: number;
  wnid: string;
  label: string;
}

const ClassIndexFile = z.record(z.string().regex(/^\d+$/), z.tuple([z.string(), z.string()]));

const cache = new Map<string, ImageNetClass[]>();

export function loadClassIndex(file = projectFile('data', 'imagenet_class_index.json')): ImageNetClass[] {
  const hit = cache.get(file);
  if (hit) return hit;
  let parsed;
  try {
    parsed = ClassIndexFile.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (e) {
    throw new AtlasError(`cannot read the class index ${file}: ${(e as Error).message}`, 'it must map "index" to [wnid, label] as Keras\' imagenet_class_index.json does');
  }
  const classes = Object.entries(parsed)
    .map(([i, [wnid, label]]) => ({ index: Number(i), wnid, label }))
    .sort((a, b) => a.index - b.index);
  cache.set(file, classes);
  return classes;
}
