// onnxruntime-node, loaded on demand (its native binary may be missing on a platform), and the session
// options every onnxruntime session of the generator uses.
import type * as Ort from 'onnxruntime-node';
import { AtlasError } from '../errors.ts';
import type { Device } from './device.ts';

export type OrtModule = typeof Ort;

let ortModule: OrtModule | null = null;

/** Loads onnxruntime-node, or says why not (its native binary may be missing on this platform). */
export async function loadOrt(): Promise<OrtModule> {
  if (ortModule) return ortModule;
  try {
    const mod = (await import('onnxruntime-node')) as OrtModule & { default?: OrtModule };
    ortModule = (mod.InferenceSession ? mod : mod.default) as OrtModule;
    return ortModule;
  } catch (e) {
    throw new AtlasError(`onnxruntime-node cannot be loaded: ${(e as Error).message}`, 'use --engine tfjs', 1);
  }
}

/**
 * `device`: the execution provider (see device.ts). A process sees one GPU, device 0: pick it with
 * CUDA_VISIBLE_DEVICES (one process per GPU, e.g. one shard each); WebGPU takes the adapter Dawn prefers.
 * Sessions run one after another on the same cores, each with its own thread pool: pool threads must
 * not spin after a run (onnxruntime's default), or they steal the cores from the next session and from
 * JavaScript (measured: a feature-visualization step took 98 ms with spinning, 62 without).
 */
export function ortSessionOptions(threads: number, device: Device = 'cpu'): Ort.InferenceSession.SessionOptions {
  return {
    // On a GPU, onnxruntime still places any node the provider lacks on the CPU (with these threads).
    executionProviders: device === 'cuda' ? [{ name: 'cuda', deviceId: 0 }] : [device],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
