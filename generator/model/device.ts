// Where onnxruntime runs the network: on the CPU, or on a GPU through one of onnxruntime-node's GPU
// execution providers. CUDA (NVIDIA): its libraries are not in the npm package (too large for the
// registry); onnxruntime-node's install script fetches them on request, so most machines simply do not
// have them. "Not installed" is the normal case and stays silent under `auto`; installed but failing (no
// GPU, no CUDA 12 / cuDNN 9 libraries) is worth one warning line, and an error under `--device cuda`.
// WebGPU (Dawn: Vulkan on Linux, D3D12 on Windows, Metal on macOS) ships in the npm package and needs only
// the GPU's driver; it is asked for by name, never by `auto`: the adapter it finds may be a software one
// (Mesa's lavapipe: about 40x slower than the CPU provider here), and onnxruntime does not say which it took.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { errorLine, warnFallback } from '../log.ts';
import { FLOAT, GraphBuilder } from './onnx-builder.ts';
import { loadOrt, type OrtModule } from './ort.ts';

export const DEVICE_CHOICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];
export type Device = Exclude<DeviceChoice, 'auto'>;
/** A device that needs a probe: an execution provider that may be missing or fail. */
export type GpuDevice = Exclude<Device, 'cpu'>;

/** The exact command that installs the CUDA provider into onnxruntime-node (Linux x64). */
export const CUDA_INSTALL = 'npm install onnxruntime-node --onnxruntime-node-install=cuda12';
/** What onnxruntime-node's CUDA 12 build needs from the machine (onnxruntime's CUDA EP requirements). */
export const CUDA_REQUIREMENTS = 'an NVIDIA GPU and driver with CUDA 12.x and cuDNN 9.x libraries on the library path (e.g. LD_LIBRARY_PATH)';
/** Where npm skips dependencies' install scripts (this project's allowScripts), the script itself. */
export const CUDA_INSTALL_SCRIPT = 'node node_modules/onnxruntime-node/script/install --onnxruntime-node-install=cuda12';
/** What the WebGPU provider needs from the machine: a GPU adapter, i.e. a driver for one of Dawn's backends. */
export const WEBGPU_REQUIREMENTS =
  'a GPU and its driver for one of Dawn\'s backends: on Linux the Vulkan loader (Debian/Ubuntu: libvulkan1) and a Vulkan driver (mesa-vulkan-drivers for AMD and Intel, the NVIDIA driver); D3D12 on Windows; Metal on macOS';

/** Whether a choice names a GPU provider (cuda, webgpu), which needs onnxruntime and a probe. */
export function isGpuDevice(choice: DeviceChoice): choice is GpuDevice {
  return choice !== 'auto' && choice !== 'cpu';
}

export function parseDeviceChoice(value: string | undefined): DeviceChoice {
  const v = (value ?? 'auto').toLowerCase();
  if ((DEVICE_CHOICES as readonly string[]).includes(v)) return v as DeviceChoice;
  throw new AtlasError(`unknown device '${value}'`, `use one of ${DEVICE_CHOICES.join(', ')} (flag --device, env ATLAS_DEVICE or the config's device)`);
}

/** What a probe found: the provider works, is not installed (`missing` says what), or is installed but fails. */
export type ProbeResult = { status: 'ok' } | { status: 'absent'; missing: string } | { status: 'failed'; error: string };
export type ProviderProbe = (device: GpuDevice) => Promise<ProbeResult>;

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
 * The real probe: absent when the provider is not installed (CUDA: its libraries, checked first, because
 * onnxruntime's own error for a missing library is the same as for a missing CUDA runtime; WebGPU: not in
 * this build), else a tiny session on the provider, run once: its error (no GPU, no libcudart.so.12 or
 * libcudnn.so.9, no WebGPU adapter) is the answer.
 * `files`: the CUDA libraries to look for (tests: stand-ins, to reach the session on a machine without them).
 */
export async function probeProvider(device: GpuDevice, opts: { ort?: OrtModule; files?: string[] } = {}): Promise<ProbeResult> {
  if (device === 'cuda') {
    let files: string[];
    try {
      files = opts.files ?? cudaProviderFiles();
    } catch (e) {
      return { status: 'absent', missing: `onnxruntime-node (${errorLine(e)})` };
    }
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length) return { status: 'absent', missing: missing.map((f) => path.basename(f)).join(', ') + ` in ${path.dirname(missing[0])}` };
  }
  try {
    const o = opts.ort ?? (await loadOrt());
    if (!listProviders(o).some((p) => p.name === device)) return { status: 'absent', missing: `the ${device} provider in this onnxruntime-node build (${process.platform}-${process.arch})` };
    const session = await o.InferenceSession.create(tinyGraph(), { executionProviders: [device], logSeverityLevel: 4 });
    await session.run({ x: new o.Tensor('float32', Float32Array.of(1), [1]) });
    await session.release();
    return { status: 'ok' };
  } catch (e) {
    // onnxruntime prefixes its source location and the failed check; Dawn's own words say it plainly.
    const line = errorLine(e);
    return { status: 'failed', error: /Failed to get a WebGPU adapter.*/.exec(line)?.[0] ?? line };
  }
}

// One probe per provider and process: every command asks several times (the engine, the dataset cache key, workers).
const probed = new Map<GpuDevice, Promise<ProbeResult>>();
const defaultProbe: ProviderProbe = (device) => {
  if (!probed.has(device)) probed.set(device, probeProvider(device));
  return probed.get(device)!;
};

/**
 * cpu: the CPU, without probing. cuda, webgpu: that GPU provider, or exit 2 naming what is missing and
 * how to get it. auto: CUDA when its provider loads, else the CPU: silently when it is not installed
 * (most machines), with one warning when it is installed but fails (WebGPU only by name: see above).
 */
export async function selectDevice(choice: DeviceChoice, probe: ProviderProbe = defaultProbe): Promise<Device> {
  if (choice === 'cpu') return 'cpu';
  const device = isGpuDevice(choice) ? choice : 'cuda';
  const r = await probe(device);
  if (r.status === 'ok') return device;
  if (choice === 'auto') {
    if (r.status === 'failed') warnFallback(`onnxruntime's CUDA execution provider is installed but cannot be used (${r.error})`, 'onnxruntime on the CPU');
    return 'cpu';
  }
  throw unusable(device, r);
}

/** The exit-2 error for a GPU provider asked for by name that is missing or fails. */
function unusable(device: GpuDevice, r: Exclude<ProbeResult, { status: 'ok' }>): AtlasError {
  const orCpu = 'Or use --device cpu or auto';
  if (device === 'webgpu') {
    return r.status === 'absent'
      ? new AtlasError(`--device webgpu: onnxruntime-node has no WebGPU execution provider here (missing ${r.missing})`, `onnxruntime-node's npm package ships it for Linux x64, Windows and macOS, not yet for Linux arm64; elsewhere reinstall it (\`npm ci\`). ${orCpu}`)
      : new AtlasError(`--device webgpu: onnxruntime's WebGPU execution provider found no usable GPU: ${r.error}`, `it needs ${WEBGPU_REQUIREMENTS}; on Linux check \`vulkaninfo --summary\` (package vulkan-tools). ${orCpu}`);
  }
  return r.status === 'absent'
    ? new AtlasError(
        `--device cuda: onnxruntime-node's CUDA execution provider is not installed (missing ${r.missing})`,
        `install it with \`${CUDA_INSTALL}\` (where npm skips install scripts: \`${CUDA_INSTALL_SCRIPT}\`); it needs ${CUDA_REQUIREMENTS}. ${orCpu}`,
      )
    : new AtlasError(
        `--device cuda: onnxruntime's CUDA execution provider is installed but cannot be used: ${r.error}`,
        `it needs ${CUDA_REQUIREMENTS}; check nvidia-smi and that libcudart.so.12 and libcudnn.so.9 are found. ${orCpu}`,
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
