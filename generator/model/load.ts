// Finds the weights, picks the backend and builds the engine: the one place that turns "vgg19" into a
// runnable network.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { errorLine, warnFallback } from '../log.ts';
import { modelsDir } from '../paths.ts';
import { type BackendChoice, type BackendInfo, initBackend } from './backend.ts';
import { CUDA_INSTALL, type Device, type DeviceChoice, isGpuDevice, parseDeviceChoice, type ProviderProbe, selectDevice } from './device.ts';
import type { Engine } from './engine.ts';
import { graphLayerWeights, irGraphs } from './graph-net.ts';
import { type ImportedModel, loadImported } from './imported.ts';
import { cardIds } from './model-card.ts';
import { type KerasWeights, readKerasWeights, sha256File } from './keras-h5.ts';
import { type ModelSpec, models } from './spec.ts';
import { OrtEngine, type OrtEngineOptions, ortEngineName } from './ort-engine.ts';
import { loadOrt } from './ort.ts';
import { TfjsEngine, type TfjsEngineOptions } from './tfjs-engine.ts';

export function getSpec(id: string): ModelSpec {
  const spec = models[id] ?? loadImported(id)?.spec;
  if (!spec) {
    const imported = cardIds(modelsDir());
    const known = [...Object.keys(models), ...imported];
    // 'squeezenet' or 'SqueezeNet1.1' for squeezenet1.1: ids are permalinks, so suggested, not guessed.
    const near = known.filter((k) => k.toLowerCase() === id.toLowerCase() || k.toLowerCase().startsWith(id.toLowerCase()));
    throw new AtlasError(
      `unknown model '${id}'${near.length ? `; did you mean ${near.join(' or ')}?` : ''}`,
      `models: ${Object.keys(models).join(', ')} (built in)${imported.length ? `, ${imported.join(', ')} (imported, with a card)` : ''}; another model needs its card (models/cards/${id}.json or ${path.join(modelsDir(), id, `${id}.card.json`)}, see \`atlas import-model\`)`,
    );
  }
  return spec;
}

/**
 * --weights FILE, else $ATLAS_MODELS_DIR/<model>/*.h5, else models/<model>/*.h5. With several files the
 * official full file wins over the notop one, which wins over any other (a prefix file, say).
 */
export function locateWeights(spec: ModelSpec, explicit?: string): string {
  if (spec.graph) return loadImported(spec.id, explicit)!.file;
  if (explicit) {
    if (!existsSync(explicit)) throw new AtlasError(`weights file not found: ${explicit}`, 'check the --weights path');
    if (explicit.toLowerCase().endsWith('.onnx')) {
      const imported = cardIds(modelsDir());
      throw new AtlasError(
        `${explicit} is an ONNX file, and ${spec.id} reads Keras HDF5 weights`,
        `an ONNX model runs under its own id: --model ${imported.length ? imported.join(' or ') : '<id>'} (\`atlas import-model\` writes a new model's card)`,
      );
    }
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
  /** Where the engine runs (tfjs: 'cuda' on @tensorflow/tfjs-node-gpu). */
  device: Device;
}

export const ENGINE_CHOICES = ['auto', 'tfjs', 'onnxruntime'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export function parseEngineChoice(value: string | undefined): EngineChoice {
  const v = (value ?? 'auto').toLowerCase();
  if ((ENGINE_CHOICES as readonly string[]).includes(v)) return v as EngineChoice;
  throw new AtlasError(`unknown engine '${value}'`, `use one of ${ENGINE_CHOICES.join(', ')} (flag --engine or env ATLAS_ENGINE)`);
}

export interface LoadOptions extends TfjsEngineOptions, Omit<OrtEngineOptions, 'device'> {
  model?: string;
  weights?: string;
  backend?: BackendChoice;
  engine?: EngineChoice;
  /** Where onnxruntime runs (default $ATLAS_DEVICE, else auto); tfjs picks its device by --backend. */
  device?: DeviceChoice;
  /** Tests simulate a machine with or without a working CUDA provider. */
  providerProbe?: ProviderProbe;
}

/** The engine and device a command runs on, and its name: the identity every network result is cached under. */
export interface Runtime {
  engine: 'tfjs' | 'onnxruntime';
  device: Device;
  /** 'onnxruntime', 'onnxruntime-cuda', 'onnxruntime-webgpu' or 'tfjs-<backend>' (provenance, job hashes, the dataset cache key). */
  name: string;
}

/**
 * auto: onnxruntime on CUDA when its provider loads (and --device allows it), else tfjs when it runs on a
 * GPU (tfjs-node-gpu), else onnxruntime on the CPU when it loads (native kernels, all cores), else tfjs
 * on the best backend it has (--device cpu skips both GPU steps). --device cuda or webgpu needs onnxruntime: with --engine tfjs it is an error.
 */
export async function resolveRuntime(opts: Pick<LoadOptions, 'engine' | 'backend' | 'device' | 'providerProbe'> = {}): Promise<Runtime> {
  const choice = opts.engine ?? parseEngineChoice(process.env.ATLAS_ENGINE);
  const deviceChoice = opts.device ?? parseDeviceChoice(process.env.ATLAS_DEVICE);
  const ort = (device: Device): Runtime => ({ engine: 'onnxruntime', device, name: ortEngineName(device) });
  const tfjs = async (): Promise<Runtime> => {
    const b = await initBackend(opts.backend);
    return { engine: 'tfjs', device: b.provider.includes('gpu') ? 'cuda' : 'cpu', name: `tfjs-${b.name}` };
  };
  if (choice === 'tfjs') {
    if (isGpuDevice(deviceChoice)) {
      throw new AtlasError(`--device ${deviceChoice} runs the onnxruntime engine, not tfjs`, `use --engine onnxruntime (or auto) with --device ${deviceChoice}; tfjs picks its device with --backend`);
    }
    return tfjs();
  }
  if (choice === 'onnxruntime') {
    await loadOrt();
    return ort(await selectDevice(deviceChoice, opts.providerProbe));
  }
  let ortError: unknown = null;
  await loadOrt().catch((e: unknown) => (ortError = e));
  if (ortError && isGpuDevice(deviceChoice)) {
    throw new AtlasError(`--device ${deviceChoice} needs onnxruntime-node, which cannot be loaded: ${errorLine(ortError)}`, `reinstall it (\`npm ci\`)${deviceChoice === 'cuda' ? `, then \`${CUDA_INSTALL}\`` : ''}`);
  }
  const device = ortError ? 'cpu' : await selectDevice(deviceChoice, opts.providerProbe);
  if (device !== 'cpu') return ort(device);
  const backend = await initBackend(opts.backend);
  if (backend.provider.includes('gpu') && deviceChoice !== 'cpu') return tfjs();
  if (!ortError) return ort('cpu');
  warnFallback(errorLine(ortError), `the tfjs engine (${backend.name})`);
  return tfjs();
}

/** The engine kind alone (see resolveRuntime). */
export async function resolveEngine(opts: Pick<LoadOptions, 'engine' | 'backend' | 'device' | 'providerProbe'> = {}): Promise<'tfjs' | 'onnxruntime'> {
  return (await resolveRuntime(opts)).engine;
}

/** Whether work should be spread over worker threads: only single-threaded engines (tfjs wasm/cpu) gain. */
export async function wantsWorkers(opts: Pick<LoadOptions, 'engine' | 'backend' | 'device' | 'providerProbe'> = {}): Promise<boolean> {
  if ((await resolveEngine(opts)) === 'onnxruntime') return false;
  return (await initBackend(opts.backend)).name !== 'tensorflow';
}

/** The weights of any model: a sequential spec's Keras file, or an imported graph's initializers (conv and dense kernels in the Keras layout). */
export async function readWeights(spec: ModelSpec, explicit?: string): Promise<KerasWeights> {
  if (!spec.graph) return readKerasWeights(locateWeights(spec, explicit), spec);
  const m = loadImported(spec.id, explicit)!;
  // The identity results are cached under: the .onnx file and what the card makes of it (a changed
  // normalization or layer list must regenerate, not reuse).
  const card = JSON.stringify({ id: spec.id, inputSize: spec.inputSize, preprocessing: spec.preprocessing, layers: spec.layers, values: spec.graph.values, classifier: spec.classifier });
  const sha256 = createHash('sha256').update(`${await sha256File(m.file)}\n${card}`).digest('hex');
  return { path: m.file, sha256, layers: graphLayerWeights(m.spec, m.ir), fileLayerNames: m.spec.layers.map((l) => l.name) };
}

/** The onnxruntime engine's options from the load options (the bench's "before" turns pruning off through them). */
function ortOptions(opts: LoadOptions, device: Device): OrtEngineOptions {
  return { threads: opts.threads, device, pruneChannels: opts.pruneChannels, pruneWindows: opts.pruneWindows, keepPixels: opts.keepPixels, engines: opts.engines };
}

/** An imported model runs on onnxruntime only: its graph is an ONNX graph (tfjs would need a converter of every op). */
async function loadImportedModel(m: ImportedModel, opts: LoadOptions): Promise<LoadedModel> {
  if (opts.engine === 'tfjs' || (!opts.engine && process.env.ATLAS_ENGINE === 'tfjs')) {
    throw new AtlasError(`${m.spec.id} is an imported ONNX model: it runs on the onnxruntime engine only`, 'drop --engine tfjs (or ATLAS_ENGINE=tfjs)');
  }
  const rt = await resolveRuntime({ ...opts, engine: 'onnxruntime' });
  const backend = await initBackend(opts.backend);
  const engine = await OrtEngine.fromGraphs(m.spec, irGraphs(m.spec, m.ir), ortOptions(opts, rt.device));
  return { spec: m.spec, weights: await readWeights(m.spec, opts.weights), engine, backend, device: rt.device };
}

export async function loadModel(opts: LoadOptions = {}): Promise<LoadedModel> {
  const imported = models[opts.model ?? 'vgg19'] ? null : loadImported(opts.model ?? 'vgg19', opts.weights);
  if (imported) return loadImportedModel(imported, opts);
  const spec = getSpec(opts.model ?? 'vgg19');
  const file = locateWeights(spec, opts.weights);
  const backend = await initBackend(opts.backend);
  const weights = await readKerasWeights(file, spec);
  const rt = await resolveRuntime(opts);
  const engine = rt.engine === 'onnxruntime' ? await OrtEngine.create(spec, weights, ortOptions(opts, rt.device)) : new TfjsEngine(spec, weights, opts);
  return { spec, weights, engine, backend, device: rt.device };
}
