// Finds the weights, picks the backend and builds the engine: the one place that turns "vgg19" into a
// runnable network.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { modelsDir } from '../paths.ts';
import { type BackendChoice, type BackendInfo, initBackend } from './backend.ts';
import type { Engine } from './engine.ts';
import { type KerasWeights, readKerasWeights } from './keras-h5.ts';
import { type ModelSpec, models } from './spec.ts';
import { TfjsEngine, type TfjsEngineOptions } from './tfjs-engine.ts';

export function getSpec(id: string): ModelSpec {
  const spec = models[id];
  if (!spec) throw new AtlasError(`unknown model '${id}'`, `known models: ${Object.keys(models).join(', ')}`);
  return spec;
}

/**
 * --weights FILE, else $ATLAS_MODELS_DIR/<model>/*.h5, else models/<model>/*.h5. With several files the
 * official full file wins over the notop one, which wins over any other (a prefix file, say).
 */
export function locateWeights(spec: ModelSpec, explicit?: string): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new AtlasError(`weights file not found: ${explicit}`, 'check the --weights path');
    return path.resolve(explicit);
  }
  const dir = path.join(modelsDir(), spec.id);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.h5')).sort() : [];
  if (files.length === 0) {
    throw new AtlasError(
      `no ${spec.id} weights found in ${dir}`,
      `run \`npm run fetch-model\` to download the Keras weights, or set ATLAS_MODELS_DIR to a folder holding ${spec.id}/<file>.h5, or pass --weights FILE`,
    );
  }
  const rank = (f: string) => {
    const i = spec.weights.findIndex((w) => w.file === f);
    return i < 0 ? spec.weights.length : i;
  };
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return path.join(dir, files[0]);
}

export interface LoadedModel {
  spec: ModelSpec;
  weights: KerasWeights;
  engine: Engine;
  backend: BackendInfo;
}

export interface LoadOptions extends TfjsEngineOptions {
  model?: string;
  weights?: string;
  backend?: BackendChoice;
}

export async function loadModel(opts: LoadOptions = {}): Promise<LoadedModel> {
  const spec = getSpec(opts.model ?? 'vgg19');
  const file = locateWeights(spec, opts.weights);
  const backend = await initBackend(opts.backend);
  const weights = await readKerasWeights(file, spec);
  const engine = new TfjsEngine(spec, weights, opts);
  return { spec, weights, engine, backend };
}
