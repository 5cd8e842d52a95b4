// Models imported from ONNX: $ATLAS_MODELS_DIR/<id>/ holds the .onnx its card names; the card sits beside
// it or in the project's models/cards/. Read once per process (the spec keeps the graph's structure; the
// weights stay in the IR the engine is built from).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { modelsDir } from '../paths.ts';
import type { IrGraph } from './ir.ts';
import { findCard } from './model-card.ts';
import { readOnnx } from './onnx-read.ts';
import { specFromGraph } from './onnx-import.ts';
import type { ModelSpec } from './spec.ts';

export interface ImportedModel {
  spec: ModelSpec;
  ir: IrGraph;
  /** The .onnx file. */
  file: string;
}

const cache = new Map<string, ImportedModel>();

/** The imported model `id`, or null when there is no card for it (not an imported model). */
export function loadImported(id: string, explicitFile?: string): ImportedModel | null {
  const dir = path.join(modelsDir(), id);
  const key = `${dir}|${explicitFile ?? ''}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const found = findCard(id, dir);
  if (!found) return null;
  const file = explicitFile ?? path.join(dir, found.card.file);
  if (!existsSync(file)) {
    throw new AtlasError(`${id}: the ONNX file ${file} (named by ${found.file}) is missing`, `put ${found.card.file} in ${dir} (set ATLAS_MODELS_DIR to the folder holding ${id}/), or pass --weights FILE.onnx`);
  }
  const ir = readOnnx(file);
  const model = { spec: specFromGraph(ir, found.card, file), ir, file };
  cache.set(key, model);
  return model;
}
