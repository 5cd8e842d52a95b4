// The device is part of the engine's identity: resolved on a machine where CUDA loads, the engine name is
// onnxruntime-cuda, and every job that runs the network (and the dataset cache key) hashes differently
// from the CPU's, while jobs that read the weights alone do not.
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../generator/dataset/cache.ts';
import type { ProviderProbe } from '../../generator/model/device.ts';
import { availableLayers, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { resolveRuntime } from '../../generator/model/load.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { parseConfig } from '../../generator/pipeline/config.ts';
import { MACO_SETTINGS } from '../../generator/optvis/recipes.ts';
import { planJobs } from '../../generator/pipeline/job-plan.ts';
import { STAGES, type Stage } from '../../generator/pipeline/jobs.ts';
import { planAtlas } from '../../generator/pipeline/plan.ts';
import { provenance, type StageContext } from '../../generator/pipeline/stages/context.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

const cuda: ProviderProbe = async () => ({ status: 'ok' });
const none: ProviderProbe = async () => ({ status: 'absent', missing: 'libonnxruntime_providers_cuda.so' });

describe('the device in job hashes and provenance', () => {
  it('onnxruntime-cuda and onnxruntime give different hashes to network jobs, the same to weight-only ones', async () => {
    const weights = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const config = parseConfig({
      device: 'auto',
      featured: [{ layer: 'block2_conv1', unit: 5, objectives: ['channel'], tuning: ['circle'], pose: true }],
      circuits: [{ layer: 'block2_conv1', unit: 5, depth: 1, top: 3 }],
    });
    const plan = planAtlas(config, vgg19, weights);
    const code = Object.fromEntries(STAGES.map((s) => [s, 'v'])) as Record<Stage, string>;
    const dataset = { root: '/d', digest: 'digest', images: 10 } as StageContext['dataset'];
    const ctxFor = async (probe: ProviderProbe): Promise<StageContext> => {
      const rt = await resolveRuntime({ engine: 'onnxruntime', device: config.device, providerProbe: probe });
      return { config, spec: vgg19, weights, available: availableLayers(vgg19, weights), out: '/o', engineName: rt.name, load: {}, dataset, versions: {}, imageModel: 'onnxruntime' };
    };
    const gpu = await ctxFor(cuda);
    const cpu = await ctxFor(none);
    expect([gpu.engineName, cpu.engineName]).toEqual(['onnxruntime-cuda', 'onnxruntime']);
    const hashes = (ctx: StageContext) => new Map(planJobs(ctx, plan, code).map((j) => [j.job.id, j.job.hash]));
    const [g, c] = [hashes(gpu), hashes(cpu)];
    const differ = [...g.keys()].filter((id) => g.get(id) !== c.get(id)).map((id) => id.split(':')[0]);
    expect(new Set(differ)).toEqual(new Set(['examples', 'fv', 'tuning', 'pose', 'model']));
    // Pose turns the dataset stage's examples: their dataset and top are its inputs too.
    const pose = planJobs(cpu, plan, code).find((j) => j.job.id === 'pose:block2_conv1:5')!;
    expect(pose.job.outputs).toEqual(['vgg19/block2_conv1/5/pose.json', 'vgg19/block2_conv1/5/where.webp']);
    const other = planJobs({ ...cpu, config: { ...config, examples: { ...config.examples, top: 8 } } }, plan, code).find((j) => j.job.id === 'pose:block2_conv1:5')!;
    expect(other.job.hash).not.toBe(pose.job.hash);
    expect(planJobs(cpu, planAtlas(parseConfig({ featured: [{ layer: 'block2_conv1', unit: 5 }] }), vgg19, weights), code).some((j) => j.job.stage === 'pose')).toBe(false);
    expect(g.get('circuits:block2_conv1')).toBe(c.get('circuits:block2_conv1'));
    expect(g.get('graph:block2_conv1:5')).toBe(c.get('graph:block2_conv1:5'));
    expect(provenance(gpu, 'fv', 'h', {}, false).engine).toBe('onnxruntime-cuda');
    const key = (engine: string) => cacheKey({ spec: vgg19, engine, weightsSha256: weights.sha256, datasetDigest: 'digest', layer: 'block2_conv1', k: 16 });
    expect(key(gpu.engineName)).not.toBe(key(cpu.engineName));
  });

  it("a MACO job's hash changes with the dataset digest and every MACO setting, a Fourier job's with neither; MACO's outputs include its importance maps", async () => {
    const weights = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const code = Object.fromEntries(STAGES.map((s) => [s, 'v'])) as Record<Stage, string>;
    const hashesFor = (maco: Record<string, unknown>, digest = 'digest') => {
      const config = parseConfig({ maco, featured: [{ layer: 'block2_conv1', unit: 5, objectives: ['channel'], recipes: ['full', 'maco'] }] });
      const dataset = { root: '/d', digest, images: 10 } as StageContext['dataset'];
      const ctx: StageContext = { config, spec: vgg19, weights, available: availableLayers(vgg19, weights), out: '/o', engineName: 'onnxruntime', load: {}, dataset, versions: {}, imageModel: 'onnxruntime' };
      const jobs = planJobs(ctx, planAtlas(config, vgg19, weights), code);
      return { maco: jobs.find((j) => j.job.id === 'fv:block2_conv1:5:channel:maco')!.job, full: jobs.find((j) => j.job.id === 'fv:block2_conv1:5:channel')!.job };
    };
    const base = hashesFor({});
    expect(base.maco.outputs).toEqual(['vgg19/block2_conv1/5/maco-channel.json', 'vgg19/block2_conv1/5/maco-channel.png', 'vgg19/block2_conv1/5/maco-channel-importance.png']);
    expect(base.full.outputs).toEqual(['vgg19/block2_conv1/5/fv-channel.json', 'vgg19/block2_conv1/5/fv-channel.png']);
    const variants = [
      hashesFor({}, 'other digest'),
      hashesFor({ size: 192 }),
      hashesFor({ steps: 128 }),
      hashesFor({ lr: 0.5 }),
      hashesFor({ optimizer: 'adam' }),
      hashesFor({ maco: { crops: MACO_SETTINGS.crops + 1 } }),
      hashesFor({ maco: { box: [0.3, 0.6] } }),
      hashesFor({ maco: { noise: 0.02 } }),
      hashesFor({ maco: { input: 96 } }),
      hashesFor({ maco: { importance: 90 } }),
    ];
    const macoHashes = new Set([base.maco.hash, ...variants.map((v) => v.maco.hash)]);
    expect(macoHashes.size).toBe(variants.length + 1);
    for (const v of variants) expect(v.full.hash).toBe(base.full.hash);
  });
});
