// --device for real on this machine, which has no CUDA provider: cuda is exit 2 with the install command,
// auto runs on the CPU without a word, and `atlas info` reports the device and onnxruntime's providers.
// webgpu: with the Vulkan loader pointed at no driver, exit 2 saying what it needs; with the machine's
// adapter (CI: lavapipe), the engine runs on it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA_INSTALL, probeProvider } from '../../generator/model/device.ts';
import { PROJECT_ROOT } from '../../generator/paths.ts';
import { atlas } from '../helpers/cli.ts';

// CI installs an adapter (lavapipe): there the test below must run.
const webgpu = (await probeProvider('webgpu')).status === 'ok' || !!process.env.CI;

describe('--device', () => {
  it('atlas info --device cuda exits 2, naming what is missing, the install command and CUDA 12 / cuDNN 9', async () => {
    for (const r of [await atlas(['info', '--device', 'cuda']), await atlas(['info'], { ATLAS_DEVICE: 'cuda' })]) {
      expect(r.status, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/error: --device cuda: onnxruntime-node's CUDA execution provider is not installed \(missing .*libonnxruntime_providers_cuda\.so/);
      expect(r.stderr).toContain(CUDA_INSTALL);
      expect(r.stderr).toMatch(/CUDA 12\.x and cuDNN 9\.x/);
    }
  });

  it('--device cuda --engine tfjs exits 2; an unknown device exits 2', async () => {
    const r = await atlas(['info', '--device', 'cuda', '--engine', 'tfjs']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--device cuda runs the onnxruntime engine, not tfjs/);
    const bad = await atlas(['info', '--device', 'gpu']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/gpu.*auto, cpu, cuda|auto, cpu, cuda.*gpu/s);
  });

  it('atlas info --json reports the device and the providers; auto falls back to the CPU silently', async () => {
    const r = await atlas(['info', '--json', '--device', 'auto']);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.engine).toBe('onnxruntime');
    expect(info.device).toBe('cpu');
    expect(info.onnxruntime.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.onnxruntime.providers).toContainEqual({ name: 'cuda', bundled: false });
    expect(r.stderr).not.toMatch(/warning/);
  });

  it('atlas info --device webgpu without a GPU driver exits 2, naming what it needs', async () => {
    const r = await atlas(['info', '--device', 'webgpu'], { VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: --device webgpu: onnxruntime's WebGPU execution provider found no usable GPU: Failed to get a WebGPU adapter/);
    expect(r.stderr).toMatch(/hint: it needs a GPU and its driver .*libvulkan1.*--device cpu or auto/);
  });

  it.runIf(webgpu)('atlas info --device webgpu on the adapter there runs the engine on it', async () => {
    const r = await atlas(['info', '--json', '--device', 'webgpu']);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect([info.engine, info.device]).toEqual(['onnxruntime-webgpu', 'webgpu']);
    expect(info.onnxruntime.providers).toContainEqual({ name: 'webgpu', bundled: true });
  });

  it.runIf(webgpu)('atlas visualize --device webgpu renders what the CPU renders (activation within 5%)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'device-webgpu-'));
    const reached: number[] = [];
    for (const device of ['cpu', 'webgpu']) {
      const out = path.join(root, device);
      const r = await atlas(['visualize', '--layer', 'block3_conv2', '--unit', '173', '--recipe', 'grid', '--size', '32', '--steps', '16', '--device', device, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      reached.push(JSON.parse(readFileSync(path.join(out, 'block3_conv2_173_channel.json'), 'utf8')).activation.pre.mean);
    }
    // Not to the bit: the providers' last-bit differences (1e-7, webgpu.test.ts) grow over the steps.
    expect(reached[0]).toBeGreaterThan(0);
    expect(Math.abs(reached[1] - reached[0])).toBeLessThanOrEqual(0.05 * reached[0]);
  });

  it('atlas generate --device cuda exits 2 before any work, writing nothing', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'device-gen-')), 'out');
    const r = await atlas(['generate', '--config', path.join(PROJECT_ROOT, 'configs', 'ci.config.ts'), '--out', out, '--device', 'cuda']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(CUDA_INSTALL);
    expect(existsSync(out)).toBe(false);
  });

  it('atlas merge refuses CUDA shards on a machine without CUDA, instead of recomputing every job', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'device-merge-'));
    const shard = path.join(root, 'shard-1-of-2');
    mkdirSync(shard);
    writeFileSync(path.join(shard, 'run.json'), JSON.stringify({ engine: 'onnxruntime-cuda' }));
    const out = path.join(root, 'out');
    const r = await atlas(['merge', shard, '--config', path.join(PROJECT_ROOT, 'configs', 'ci.config.ts'), '--out', out]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/shard-1-of-2 ran on onnxruntime-cuda, this merge on onnxruntime: it would recompute every job/);
    expect(r.stderr).toMatch(/--device cuda/);
    expect(existsSync(out)).toBe(false);
    const cuda = await atlas(['merge', shard, '--config', path.join(PROJECT_ROOT, 'configs', 'ci.config.ts'), '--out', out, '--device', 'cuda']);
    expect(cuda.status).toBe(2);
    expect(cuda.stderr).toContain(CUDA_INSTALL);
  });
});
