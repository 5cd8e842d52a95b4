// Device selection (model/device.ts, model/load.ts's resolveRuntime) with injected probes that simulate
// machines with a working, a missing and a broken CUDA or WebGPU provider; and the real CUDA probe on this
// machine, which has no GPU and no provider libraries. The CUDA run itself cannot be tested here; the
// WebGPU one can, on a software adapter (webgpu.test.ts).
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import {
  CUDA_INSTALL,
  type GpuDevice,
  type ProbeResult,
  type ProviderProbe,
  cudaProviderFiles,
  listProviders,
  parseDeviceChoice,
  probeProvider,
  selectDevice,
} from '../../generator/model/device.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { resolveRuntime } from '../../generator/model/load.ts';
import { loadOrt, ortSessionOptions } from '../../generator/model/ort.ts';
import { OrtEngine } from '../../generator/model/ort-engine.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { diversityOrt } from '../../generator/optvis/diversity-ort.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';
import { captureStderr } from '../helpers/stderr.ts';

const stderr = captureStderr();

/** A probe that answers `result` and records the providers it was asked about. */
function probe(result: ProbeResult): ProviderProbe & { calls: number; asked: GpuDevice[] } {
  const p = Object.assign(async (device: GpuDevice) => {
    p.calls++;
    p.asked.push(device);
    return result;
  }, { calls: 0, asked: [] as GpuDevice[] });
  return p;
}

async function rejection(p: Promise<unknown>): Promise<AtlasError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AtlasError);
  return e as AtlasError;
}

const ok = (): ProbeResult => ({ status: 'ok' });
const absent = (): ProbeResult => ({ status: 'absent', missing: 'libonnxruntime_providers_cuda.so in /x' });
const failed = (error: string): ProbeResult => ({ status: 'failed', error });

describe('device choice', () => {
  it('parses auto, cpu, cuda and webgpu (any case) and rejects anything else, naming the choices', () => {
    expect(parseDeviceChoice(undefined)).toBe('auto');
    expect(parseDeviceChoice('CUDA')).toBe('cuda');
    expect(parseDeviceChoice('WebGPU')).toBe('webgpu');
    expect(parseDeviceChoice('cpu')).toBe('cpu');
    expect(() => parseDeviceChoice('gpu')).toThrow(/unknown device 'gpu'/);
    try {
      parseDeviceChoice('gpu');
    } catch (e) {
      expect((e as AtlasError).exitCode).toBe(2);
      expect((e as AtlasError).hint).toMatch(/auto, cpu, cuda, webgpu/);
    }
  });
});

describe('selectDevice', () => {
  it('auto uses CUDA when the provider loads, and never asks for WebGPU', async () => {
    const p = probe(ok());
    expect(await selectDevice('auto', p)).toBe('cuda');
    expect(await selectDevice('auto', probe(absent()))).toBe('cpu');
    expect(p.asked).toEqual(['cuda']);
    expect(stderr.lines).toEqual([]);
  });

  it('webgpu asks for the WebGPU provider only, and uses it when it finds an adapter', async () => {
    const p = probe(ok());
    expect(await selectDevice('webgpu', p)).toBe('webgpu');
    expect(p.asked).toEqual(['webgpu']);
  });

  it('webgpu without an adapter is exit 2 with its error and what it needs; without the provider, says so', async () => {
    const e = await rejection(selectDevice('webgpu', probe(failed('Failed to get a WebGPU adapter: No supported adapters'))));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("--device webgpu: onnxruntime's WebGPU execution provider found no usable GPU: Failed to get a WebGPU adapter: No supported adapters");
    expect(e.hint).toMatch(/Vulkan loader \(Debian\/Ubuntu: libvulkan1\).*Metal on macOS.*--device cpu or auto/);
    const a = await rejection(selectDevice('webgpu', probe({ status: 'absent', missing: 'the webgpu provider in this onnxruntime-node build (linux-arm64)' })));
    expect(a.message).toMatch(/no WebGPU execution provider here \(missing the webgpu provider in this onnxruntime-node build \(linux-arm64\)\)/);
    expect(stderr.lines).toEqual([]);
  });

  it('auto falls back to the CPU silently when the provider is simply not installed', async () => {
    expect(await selectDevice('auto', probe(absent()))).toBe('cpu');
    expect(stderr.lines).toEqual([]);
  });

  it('auto falls back to the CPU with one warning when the provider is installed but fails', async () => {
    const p = probe(failed('CUDA failure 100: no CUDA-capable device is detected'));
    expect(await selectDevice('auto', p)).toBe('cpu');
    expect(await selectDevice('auto', p)).toBe('cpu');
    expect(stderr.lines).toEqual([
      "warning: onnxruntime's CUDA execution provider is installed but cannot be used (CUDA failure 100: no CUDA-capable device is detected); using onnxruntime on the CPU",
    ]);
  });

  it('cpu never probes', async () => {
    const p = probe(ok());
    expect(await selectDevice('cpu', p)).toBe('cpu');
    expect(p.calls).toBe(0);
  });

  it('cuda without the provider is exit 2, naming what is missing, the install command and what it needs', async () => {
    const e = await rejection(selectDevice('cuda', probe(absent())));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/--device cuda: .*CUDA execution provider is not installed \(missing libonnxruntime_providers_cuda\.so in \/x\)/);
    expect(e.hint).toContain(`\`${CUDA_INSTALL}\``);
    expect(CUDA_INSTALL).toBe('npm install onnxruntime-node --onnxruntime-node-install=cuda12');
    expect(e.hint).toMatch(/CUDA 12\.x and cuDNN 9\.x/);
    expect(stderr.lines).toEqual([]);
  });

  it('cuda with a provider that fails is exit 2 with its error and what it needs', async () => {
    const e = await rejection(selectDevice('cuda', probe(failed('libcudnn.so.9: cannot open shared object file'))));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/installed but cannot be used: libcudnn\.so\.9: cannot open shared object file/);
    expect(e.hint).toMatch(/CUDA 12\.x and cuDNN 9\.x.*--device cpu/);
  });
});

describe('resolveRuntime', () => {
  it('names the device in the engine: onnxruntime-cuda on the GPU, onnxruntime on the CPU', async () => {
    expect(await resolveRuntime({ engine: 'onnxruntime', device: 'auto', providerProbe: probe(ok()) })).toEqual({ engine: 'onnxruntime', device: 'cuda', name: 'onnxruntime-cuda' });
    expect(await resolveRuntime({ engine: 'auto', backend: 'wasm', device: 'auto', providerProbe: probe(ok()) })).toEqual({ engine: 'onnxruntime', device: 'cuda', name: 'onnxruntime-cuda' });
    expect(await resolveRuntime({ engine: 'auto', backend: 'wasm', device: 'auto', providerProbe: probe(absent()) })).toEqual({ engine: 'onnxruntime', device: 'cpu', name: 'onnxruntime' });
    expect(await resolveRuntime({ engine: 'auto', backend: 'wasm', device: 'cpu', providerProbe: probe(ok()) })).toEqual({ engine: 'onnxruntime', device: 'cpu', name: 'onnxruntime' });
    for (const engine of ['auto', 'onnxruntime'] as const) {
      expect(await resolveRuntime({ engine, backend: 'wasm', device: 'webgpu', providerProbe: probe(ok()) })).toEqual({ engine: 'onnxruntime', device: 'webgpu', name: 'onnxruntime-webgpu' });
    }
    expect(stderr.lines).toEqual([]);
  });

  it('--device cuda or webgpu --engine tfjs is exit 2, saying to use onnxruntime', async () => {
    for (const device of ['cuda', 'webgpu'] as const) {
      const e = await rejection(resolveRuntime({ engine: 'tfjs', backend: 'wasm', device, providerProbe: probe(ok()) }));
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(`--device ${device} runs the onnxruntime engine, not tfjs`);
      expect(e.hint).toMatch(/--engine onnxruntime/);
    }
    expect(await resolveRuntime({ engine: 'tfjs', backend: 'wasm', device: 'auto' })).toEqual({ engine: 'tfjs', device: 'cpu', name: 'tfjs-wasm' });
  });

  it('--device cuda with auto or onnxruntime and no provider is exit 2', async () => {
    for (const engine of ['auto', 'onnxruntime'] as const) {
      const e = await rejection(resolveRuntime({ engine, backend: 'wasm', device: 'cuda', providerProbe: probe(absent()) }));
      expect(e.exitCode).toBe(2);
      expect(e.hint).toContain(CUDA_INSTALL);
    }
  });
});

describe('on this machine (no GPU, no CUDA provider libraries)', () => {
  it('the real probe finds the provider absent, naming the missing library', async () => {
    expect(cudaProviderFiles().some((f) => !existsSync(f))).toBe(true);
    const r = await probeProvider('cuda');
    expect(r.status).toBe('absent');
    expect(r.status === 'absent' && r.missing).toMatch(/libonnxruntime_providers_cuda\.so/);
  });

  it("with the libraries present, the probe's session on ['cuda'] fails and says why", async () => {
    // Stand-ins get the probe past the file check; onnxruntime then fails to load its own provider.
    const dir = mkdtempSync(path.join(tmpdir(), 'cuda-probe-'));
    const files = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'].map((f) => path.join(dir, f));
    for (const f of files) writeFileSync(f, '');
    const r = await probeProvider('cuda', { files });
    expect(r.status).toBe('failed');
    expect(r.status === 'failed' && r.error).toMatch(/\S/);
  });

  it('onnxruntime-node offers cpu and webgpu bundled, cuda installed separately; sessions name their provider', async () => {
    const providers = listProviders(await loadOrt());
    expect(providers).toContainEqual({ name: 'cpu', bundled: true });
    expect(providers).toContainEqual({ name: 'webgpu', bundled: true });
    expect(providers).toContainEqual({ name: 'cuda', bundled: false });
    expect(ortSessionOptions(2).executionProviders).toEqual(['cpu']);
    expect(ortSessionOptions(2, 'cuda').executionProviders).toEqual([{ name: 'cuda', deviceId: 0 }]);
    expect(ortSessionOptions(2, 'webgpu').executionProviders).toEqual(['webgpu']);
  });

  it('an engine and the diversity graph on cuda build their sessions on the CUDA provider (which fails here)', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const [cpu, gpu] = await Promise.all([OrtEngine.create(vgg19, w, { threads: 1 }), OrtEngine.create(vgg19, w, { threads: 1, device: 'cuda' })]);
    expect([cpu.name, gpu.name]).toEqual(['onnxruntime', 'onnxruntime-cuda']);
    const images = { data: new Float32Array(16 * 16 * 3).fill(100), shape: [1, 16, 16, 3] };
    expect((await cpu.activations(images, ['block1_conv1'])).get('block1_conv1')!.shape).toEqual([1, 16, 16, 64]);
    await expect(gpu.activations(images, ['block1_conv1'])).rejects.toThrow(/Cuda|CUDA|shared library/);
    cpu.dispose();
    gpu.dispose();
    const act = { data: new Float32Array(4 * 2 * 2 * 3).map((_, i) => i % 5), shape: [4, 2, 2, 3] };
    expect((await diversityOrt(4, act)).values).toHaveLength(4);
    await expect(diversityOrt(4, act, 'cuda')).rejects.toThrow(/Cuda|CUDA|shared library/);
  });
});
