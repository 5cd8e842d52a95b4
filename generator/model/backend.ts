// Picks the best tfjs backend that this machine can load, at run time: native TensorFlow (GPU, then CPU)
// when a user has installed it, else WebAssembly, else plain JS. Native packages are optional: they are
// never dependencies, because their install script downloads libtensorflow.
import * as tf from '@tensorflow/tfjs';
import { AtlasError } from '../errors.ts';
import { errorLine, warnFallback } from '../log.ts';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** tfjs backend name: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** What provided it, e.g. '@tensorflow/tfjs-node-gpu'. */
  provider: string;
  tfjsVersion: string;
}

let current: BackendInfo | null = null;

/** Whether an import failed only because the package is not installed (the normal case for optional ones). */
export function isNotInstalled(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((e as Error).message).includes(`'${pkg}'`);
}

/** Loads an optional native package; true if it registered the 'tensorflow' backend. Not installed: false, silently. */
async function tryImport(pkg: string): Promise<boolean> {
  try {
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    const specifier = pkg;
    await import(specifier);
  } catch (e) {
    if (!isNotInstalled(e, pkg)) warnFallback(`${pkg} is installed but cannot be loaded (${errorLine(e)})`, 'the next tfjs backend');
    return false;
  }
  // Only useful if it registered into this copy of tfjs (same version).
  if (tf.findBackendFactory('tensorflow') != null) return true;
  warnFallback(`${pkg} did not register with @tensorflow/tfjs ${tf.version.tfjs} (its version must match)`, 'the next tfjs backend');
  return false;
}

async function use(name: string, provider: string): Promise<BackendInfo | null> {
  try {
    if (!(await tf.setBackend(name))) throw new Error('setBackend returned false');
    await tf.ready();
    return { name, provider, tfjsVersion: tf.version.tfjs };
  } catch (e) {
    warnFallback(`the tfjs backend '${name}' (${provider}) failed to start (${errorLine(e)})`, 'the next tfjs backend, if any');
    return null;
  }
}

export function parseBackendChoice(value: string | undefined): BackendChoice {
  const v = (value ?? 'auto').toLowerCase();
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new AtlasError(`unknown backend '${value}'`, `use one of ${BACKEND_CHOICES.join(', ')} (flag --backend or env ATLAS_BACKEND)`);
}

/** Initializes tfjs once per process; later calls return the backend already chosen. */
export async function initBackend(choice: BackendChoice = parseBackendChoice(process.env.ATLAS_BACKEND)): Promise<BackendInfo> {
  if (current) return current;
  const native = async (): Promise<BackendInfo | null> => {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if (await tryImport(pkg)) {
        const info = await use('tensorflow', pkg);
        if (info) return info;
      }
    }
    return null;
  };
  const wasm = async (): Promise<BackendInfo | null> => {
    await import('@tensorflow/tfjs-backend-wasm');
    return use('wasm', '@tensorflow/tfjs-backend-wasm');
  };
  const cpu = () => use('cpu', '@tensorflow/tfjs (cpu)');
  const order: Record<BackendChoice, Array<() => Promise<BackendInfo | null>>> = {
    auto: [native, wasm, cpu],
    tensorflow: [native],
    wasm: [wasm],
    cpu: [cpu],
  };
  for (const attempt of order[choice]) {
    const info = await attempt();
    if (info) {
      current = info;
      return info;
    }
  }
  throw new AtlasError(
    `backend '${choice}' is not available on this machine`,
    choice === 'tensorflow'
      ? 'install a native backend: `npm install @tensorflow/tfjs-node` (CPU) or `npm install @tensorflow/tfjs-node-gpu` (CUDA), or use --backend wasm'
      : 'use --backend auto',
  );
}

export function currentBackend(): BackendInfo | null {
  return current;
}
