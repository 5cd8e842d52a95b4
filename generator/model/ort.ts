// onnxruntime-node, loaded on demand (its native binary may be missing on a platform), and the session
// options every onnxruntime session of the generator uses.
import type * as Ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { AtlasError } from '../errors.ts';
import { warnFallback } from '../log.ts';
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

/**
 * Where a graph's session runs: the engine's device, unless the provider claims a node it cannot run.
 * onnxruntime 1.30's WebGPU MaxPool has no Indices output ("The Indices output is not supported yet", at
 * run time), which the adjoint of overlapping max pools reads (autodiff-rules.ts; SqueezeNet's 3x3 stride-2
 * pools, not VGG's): such a graph runs on the CPU, with one warning.
 */
export function deviceForGraph(device: Device, graph: Uint8Array): Device {
  if (device !== 'webgpu') return device;
  const nodes = onnxProto.onnx.ModelProto.decode(graph).graph?.node ?? [];
  if (!nodes.some((n) => n.opType === 'MaxPool' && !!n.output?.[1])) return device;
  warnFallback("onnxruntime's WebGPU provider cannot run MaxPool's indices (the adjoint of overlapping max pools)", 'the CPU for such gradient graphs');
  return 'cpu';
}
