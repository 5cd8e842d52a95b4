// Where onnxruntime runs the network: on the CPU, or on an NVIDIA GPU through onnxruntime-node's CUDA
// execution provider. The provider's libraries are not in the npm package (too large for the registry):
// onnxruntime-node's install script fetches them on request, so most machines simply do not have them.
// "Not installed" is the normal case and stays silent under `auto`; installed but failing (no GPU, no
// CUDA 12 / cuDNN 9 libraries) is worth one warning line, and an error under `--device cuda`.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { errorLine, warnFallback } from '../log.ts';
import { FLOAT, GraphBuilder } from './onnx-builder.ts';
import { loadOrt, type OrtModule } from './ort.ts';

export const DEVICE_CHOICES = ['auto', 'cpu', 'cuda'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];
export type Device = 'cpu' | 'cuda';

/** The exact command that installs the CUDA provider into onnxruntime-node (Linux x64). */
export const CUDA_INSTALL = 'npm install onnxruntime-node --onnxruntime-node-install=cuda12';
/** What onnxruntime-node's CUDA 12 build needs from the machine (onnxruntime's CUDA EP requirements). */
export const CUDA_REQUIREMENTS = 'an NVIDIA GPU and driver with CUDA 12.x and cuDNN 9.x libraries on the library path (e.g. LD_LIBRARY_PATH)';
/** Where npm skips dependencies' install scripts (this project's allowScripts), the script itself. */
export const CUDA_INSTALL_SCRIPT = 'node node_modules/onnxruntime-node/script/install --onnxruntime-node-install=cuda12';

export function parseDeviceChoice(value: string | undefined): DeviceChoice {
  const v = (value ?? 'auto').toLowerCase();
  if ((DEVICE_CHOICES as readonly string[]).includes(v)) return v as DeviceChoice;
  throw new AtlasError(`unknown device '${value}'`, `use one of ${DEVICE_CHOICES.join(', ')} (flag --device, env ATLAS_DEVICE or the config's device)`);
}

/** What a probe found: the provider works, is not installed (`missing` says what), or is installed but fails. */
export type CudaProbeResult = { status: 'ok' } | { status: 'absent'; missing: string } | { status: 'failed'; error: string };
export type CudaProbe = () => Promise<CudaProbeResult>;

/** The provider's shared libraries, which the install script puts beside onnxruntime-node's binding. */
export function cudaProviderFiles(): string[] {
  const root = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  const dir = path.join(root, 'bin', 'napi-v6', process.platform, process.arch);
  return ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].map((f) => path.join(dir, f));
}

/** The smallest graph a session can be built from (y = relu(x)): creating it is what loads the provider. */
function tinyGraph(): Uint8Array {
  const g = new GraphBuilder();
  g.output(g.op('Relu', [g.input('x', FLOAT, [1])]), 'y');
  return g.encode(['y']);
}

/**
 * The real probe: absent when the provider's libraries are not installed (checked first, because
 * onnxruntime's own error for a missing library is the same as for a missing CUDA runtime), else
 * a tiny session on ['cuda'], run once: its error (no GPU, no libcudart.so.12 or libcudnn.so.9) is the answer.
 * `files`: the libraries to look for (tests: stand-ins, to reach the session on a machine without them).
 */
export async function probeCudaProvider(opts: { ort?: OrtModule; files?: string[] } = {}): Promise<CudaProbeResult> {
  let files: string[];
  try {
    files = opts.files ?? cudaProviderFiles();
  } catch (e) {
    return { status: 'absent', missing: `onnxruntime-node (${errorLine(e)})` };
  }
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length) return { status: 'absent', missing: missing.map((f) => path.basename(f)).join(', ') + ` in ${path.dirname(missing[0])}` };
  try {
    const o = opts.ort ?? (await loadOrt());
    const session = await o.InferenceSession.create(tinyGraph(), { executionProviders: ['cuda'], logSeverityLevel: 4 });
    await session.run({ x: new o.Tensor('float32', Float32Array.of(1), [1]) });
    await session.release();
    return { status: 'ok' };
  } catch (e) {
    return { status: 'failed', error: errorLine(e) };
  }
}

// One probe per process: every command asks several times (the engine, the dataset cache key, workers).
let probed: Promise<CudaProbeResult> | null = null;
const defaultProbe: CudaProbe = () => (probed ??= probeCudaProvider());

/**
 * cpu: the CPU, without probing. cuda: the GPU, or exit 2 naming what is missing and how to install it.
 * auto: the GPU when the provider loads, else the CPU: silently when it is not installed (most machines),
 * with one warning when it is installed but fails.
 */
export async function selectDevice(choice: DeviceChoice, probe: CudaProbe = defaultProbe): Promise<Device> {
  if (choice === 'cpu') return 'cpu';
  const r = await probe();
  if (r.status === 'ok') return 'cuda';
  if (choice === 'auto') {
    if (r.status === 'failed') warnFallback(`onnxruntime's CUDA execution provider is installed but cannot be used (${r.error})`, 'onnxruntime on the CPU');
    return 'cpu';
  }
  if (r.status === 'absent') {
    throw new AtlasError(
      `--device cuda: onnxruntime-node's CUDA execution provider is not installed (missing ${r.missing})`,
      `install it with \`${CUDA_INSTALL}\` (where npm skips install scripts: \`${CUDA_INSTALL_SCRIPT}\`); it needs ${CUDA_REQUIREMENTS}. Or use --device cpu or auto`,
    );
  }
  throw new AtlasError(
    `--device cuda: onnxruntime's CUDA execution provider is installed but cannot be used: ${r.error}`,
    `it needs ${CUDA_REQUIREMENTS}; check nvidia-smi and that libcudart.so.12 and libcudnn.so.9 are found. Or use --device cpu or auto`,
  );
}

export interface ProviderInfo {
  name: string;
  /** In the npm package (cpu, webgpu) or fetched by the install script (cuda, tensorrt). */
  bundled: boolean;
}

/** The execution providers this onnxruntime-node build offers (whether or not their libraries are installed). */
export function listProviders(ort: OrtModule): ProviderInfo[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}
