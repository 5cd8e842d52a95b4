// What happens on a machine where onnxruntime-node cannot load (its native binary missing): every
// 'auto' choice falls back to tfjs, and each says so in one warning line on stderr.
import { describe, expect, it, vi } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { captureStderr } from '../helpers/stderr.ts';

vi.mock('../../generator/model/ort.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../generator/model/ort.ts')>()),
  loadOrt: async () => {
    throw new AtlasError('onnxruntime-node cannot be loaded: libonnxruntime.so.1: cannot open shared object file\n  at dlopen', 'use --engine tfjs', 1);
  },
}));

const { resolveEngine } = await import('../../generator/model/load.ts');
const { createImageModel, createMacoImageModel, resolveImageModel } = await import('../../generator/optvis/image-model.ts');
const { diversityPenalty } = await import('../../generator/optvis/objectives.ts');

const stderr = captureStderr();

describe('without onnxruntime', () => {
  it('the engine falls back to tfjs, with one warning however often it is asked', async () => {
    expect(await resolveEngine({ engine: 'auto', backend: 'wasm' })).toBe('tfjs');
    expect(await resolveEngine({ engine: 'auto', backend: 'wasm' })).toBe('tfjs');
    expect(stderr.lines).toEqual(['warning: onnxruntime-node cannot be loaded: libonnxruntime.so.1: cannot open shared object file; using the tfjs engine (wasm)']);
  });

  it('the image side falls back to tfjs, with one warning', async () => {
    expect(await resolveImageModel('auto')).toBe('tfjs');
    const model = await createImageModel(1, 8);
    expect(model.name).toBe('tfjs');
    model.dispose();
    await expect(createImageModel(1, 8, { use: 'onnxruntime' })).rejects.toThrow(/onnxruntime-node cannot be loaded/);
    expect(stderr.lines).toEqual([
      'warning: the onnxruntime image side cannot be used (onnxruntime-node cannot be loaded: libonnxruntime.so.1: cannot open shared object file); using the tfjs image side of feature visualization',
    ]);
  });

  it('MACO, which has no tfjs image side, is an error saying it needs onnxruntime (no warning, no fallback)', async () => {
    const err = await createMacoImageModel(1, 8, new Float32Array(3 * 8 * 5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtlasError);
    expect((err as AtlasError).message).toMatch(/MACO feature visualization needs onnxruntime, which cannot be loaded here \(onnxruntime-node cannot be loaded/);
    expect((err as AtlasError).hint).toMatch(/--param fourier/);
    expect(stderr.lines).toEqual([]);
  });

  it('the diversity objective falls back to autodiff, with one warning over many steps', async () => {
    const f = diversityPenalty(4);
    const act = { data: Float32Array.from({ length: 4 * 2 * 2 * 3 }, (_, i) => Math.sin(i)), shape: [4, 2, 2, 3] };
    for (let step = 0; step < 3; step++) {
      const r = await f.evaluate!(act);
      expect(r.grad).toHaveLength(act.data.length);
    }
    expect(stderr.lines).toEqual([
      "warning: the onnxruntime diversity graph failed (onnxruntime-node cannot be loaded: libonnxruntime.so.1: cannot open shared object file); using tfjs's autodiff for the diversity objective",
    ]);
  });
});
