// Reads Keras HDF5 weight files (the official vgg19_weights_tf_dim_ordering_tf_kernels*.h5 layout, or a
// whole saved model with a /model_weights group) by following the file's own `layer_names` and
// `weight_names` attributes, so the full file, the notop file and any prefix of the layers all load.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { AtlasError } from '../errors.ts';
import { type ModelSpec, layerInputs, weightedLayers } from './spec.ts';

export interface LayerWeights {
  /** Kernel as stored: conv [k, k, in, out], dense [in, out]; row-major float32. */
  kernel: Float32Array;
  kernelShape: number[];
  bias: Float32Array;
}

export interface KerasWeights {
  path: string;
  /** Of the file; for an imported model, of its .onnx file and its card's settings (load.ts readWeights). */
  sha256: string;
  /** Weighted layers present in the file, by name. */
  layers: Map<string, LayerWeights>;
  /** Every layer name the file lists (including pools and the input layer). */
  fileLayerNames: string[];
}

type H5Group = InstanceType<typeof h5wasm.Group>;

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Where the HDF5 superblock starts (its signature sits at 0, 512, 1024, 2048 ... after an optional user
 * block), and the end-of-file address it records, or null when there is no signature.
 */
function hdf5Superblock(path: string): { size: number; storedEof: number | null } | null {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    for (let off = 0; off + 8 <= size && off <= 1 << 20; off = off === 0 ? 512 : off * 2) {
      const n = readSync(fd, buf, 0, 64, off);
      if (!buf.subarray(0, 8).equals(HDF5_SIGNATURE)) continue;
      // Read the stored EOF so that a truncated file is reported by us, not by libhdf5's stderr dump.
      const version = buf[8];
      const offsetSize = version <= 1 ? buf[13] : buf[9];
      const eofAt = version === 0 ? 40 : version === 1 ? 44 : 28;
      const storedEof = offsetSize === 8 && n >= eofAt + 8 ? off + Number(buf.readBigUInt64LE(eofAt)) : null;
      return { size, storedEof };
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function attrStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return [value];
  return [];
}

function fetchHint(spec: ModelSpec): string {
  return `download the official Keras weights with \`npm run fetch-model\`, or point --weights / ATLAS_MODELS_DIR at a copy of ${spec.weights.map((w) => w.file).join(' or ')}`;
}

/**
 * Loads every weighted layer of `spec` that the file holds. Shapes are checked against the spec, so a file
 * for another architecture fails with the first mismatching layer named.
 */
export async function readKerasWeights(path: string, spec: ModelSpec): Promise<KerasWeights> {
  if (!existsSync(path)) throw new AtlasError(`weights file not found: ${path}`, fetchHint(spec));
  const sb = hdf5Superblock(path);
  if (!sb) {
    throw new AtlasError(`not an HDF5 file: ${path} (no HDF5 signature; a truncated download or an HTML error page?)`, fetchHint(spec));
  }
  if (sb.storedEof !== null && sb.size < sb.storedEof) {
    throw new AtlasError(`truncated HDF5 file: ${path} is ${sb.size} bytes but its header says ${sb.storedEof}`, `the download was cut short: ${fetchHint(spec)}`);
  }
  await h5wasm.ready;
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (e) {
    throw new AtlasError(`cannot open HDF5 file ${path}: ${(e as Error).message}`, fetchHint(spec));
  }
  try {
    return await readLayers(file, path, spec);
  } catch (e) {
    if (e instanceof AtlasError) throw e;
    throw new AtlasError(`cannot read ${path} as Keras weights (corrupt file?): ${(e as Error).message}`, fetchHint(spec));
  } finally {
    file.close();
  }
}

async function readLayers(file: InstanceType<typeof h5wasm.File>, path: string, spec: ModelSpec): Promise<KerasWeights> {
  // A whole saved model keeps its weights under /model_weights; weight-only files keep them at the root.
  const rootKeys = file.keys();
  const root = rootKeys.includes('model_weights') ? file.get('model_weights') : file;
  if (!root || !('attrs' in root)) throw new AtlasError(`${path}: no weights group`, fetchHint(spec));
  const fileLayerNames = attrStrings((root as H5Group).attrs['layer_names']?.value);
  if (fileLayerNames.length === 0) {
    throw new AtlasError(
      `${path} is an HDF5 file but not a Keras weights file (no 'layer_names' attribute)`,
      fetchHint(spec),
    );
  }
  const inputs = layerInputs(spec);
  const layers = new Map<string, LayerWeights>();
  for (const layer of weightedLayers(spec)) {
    if (!fileLayerNames.includes(layer.name)) continue;
    const group = (root as H5Group).get(layer.name);
    if (!(group instanceof h5wasm.Group)) {
      throw new AtlasError(`${path}: layer ${layer.name} is listed in layer_names but has no group`, fetchHint(spec));
    }
    const names = attrStrings(group.attrs['weight_names']?.value);
    if (names.length !== 2) {
      throw new AtlasError(
        `${path}: layer ${layer.name} has ${names.length} weights (${names.join(', ')}), expected kernel and bias`,
        fetchHint(spec),
      );
    }
    const arrays = names.map((n) => {
      const ds = group.get(n);
      if (!(ds instanceof h5wasm.Dataset)) throw new AtlasError(`${path}: ${layer.name}/${n} is missing`, fetchHint(spec));
      const value = ds.value;
      const data = value instanceof Float32Array ? value : Float32Array.from(value as ArrayLike<number>);
      return { shape: ds.shape ?? [], data };
    });
    // weight_names lists the kernel first; tell them apart by rank anyway, as some writers reorder.
    const kernel = arrays.find((a) => a.shape.length > 1);
    const bias = arrays.find((a) => a.shape.length === 1);
    if (!kernel || !bias) throw new AtlasError(`${path}: ${layer.name} lacks a kernel or a bias`, fetchHint(spec));
    const expected =
      layer.kind === 'conv'
        ? [layer.kernel, layer.kernel, inputs.get(layer.name)!, layer.filters]
        : layer.kind === 'dense'
          ? [inputs.get(layer.name)!, layer.units]
          : [];
    if (kernel.shape.join('x') !== expected.join('x') || bias.shape[0] !== expected[expected.length - 1]) {
      throw new AtlasError(
        `${path}: ${layer.name} kernel has shape [${kernel.shape}] and bias [${bias.shape}], expected [${expected}] and [${expected[expected.length - 1]}] for ${spec.name}`,
        'is this the weights file of another model?',
      );
    }
    layers.set(layer.name, { kernel: kernel.data, kernelShape: kernel.shape, bias: bias.data });
  }
  if (layers.size === 0) {
    throw new AtlasError(
      `${path} holds no layer of ${spec.name} (its layers: ${fileLayerNames.join(', ')})`,
      fetchHint(spec),
    );
  }
  return { path, sha256: await sha256File(path), layers, fileLayerNames };
}

/**
 * The layers the weights let us compute: every spec layer up to the first weighted layer the file lacks
 * (a later layer cannot be reached without it).
 */
export function availableLayers(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>): string[] {
  // An imported graph's file holds all its weights.
  if (spec.graph) return spec.layers.map((l) => l.name);
  const out: string[] = [];
  for (const l of spec.layers) {
    if ((l.kind === 'conv' || l.kind === 'dense') && !weights.layers.has(l.name)) break;
    out.push(l.name);
  }
  // A trailing pool/flatten is computable; but flatten only makes sense if dense layers follow it.
  while (out.length && spec.layers.find((l) => l.name === out[out.length - 1])?.kind === 'flatten') out.pop();
  return out;
}
