import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableLayers, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { checkConfig, EVERY_LAYER, expandLayers, loadConfig, parseConfig } from '../../generator/pipeline/config.ts';
import { planAtlas } from '../../generator/pipeline/plan.ts';
import { GRID_RECIPE, MACO_RECIPE, MACO_SETTINGS } from '../../generator/optvis/recipes.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

const weights = () => readKerasWeights(NOTOP_WEIGHTS(), vgg19);

describe('atlas config', () => {
  it('fills defaults', () => {
    const c = parseConfig({});
    expect(c.model).toBe('vgg19');
    expect(c.visualization).toEqual({ size: 128, steps: 512, lr: 0.05, seed: 0, batch: 4, schedule: 'constant', transforms: 'lucid', param: 'fourier', optimizer: 'adam' });
    expect(c.grid).toEqual(GRID_RECIPE);
    expect(c.maco).toEqual(MACO_RECIPE);
    expect(c.maco).toMatchObject({ param: 'maco', optimizer: 'nadam', lr: 1, maco: MACO_SETTINGS });
    expect(c.out).toBe('generated');
  });

  it('names the field of a bad value or an unknown key', () => {
    expect(() => parseConfig({ visualization: { steps: -3 } }, 'a.json')).toThrow(/a\.json: visualization\.steps: /);
    expect(() => parseConfig({ featrued: [] }, 'a.json')).toThrow(/a\.json: \(top level\): .*featrued/);
    expect(() => parseConfig({ featured: [{ layer: 'block1_conv1', unit: 2, objectives: ['dream'] }] })).toThrow(/featured\.0\.objectives\.0/);
  });

  it("takes a pad for a recipe's transforms (the grid's 4 px by default), a whole number of pixels >= 0", () => {
    expect(parseConfig({}).grid.pad).toBe(4);
    expect(parseConfig({}).visualization.pad).toBeUndefined();
    expect(parseConfig({ grid: { pad: 6 }, visualization: { pad: 0 } })).toMatchObject({ grid: { ...GRID_RECIPE, pad: 6 }, visualization: { pad: 0 } });
    expect(() => parseConfig({ grid: { pad: -1 } }, 'a.json')).toThrow(/a\.json: grid\.pad: /);
    expect(() => parseConfig({ grid: { pad: 2.5 } }, 'a.json')).toThrow(/a\.json: grid\.pad: /);
  });

  it('takes relu (optimize post-ReLU values) for any recipe; false, the default, is left out so that it keys the same jobs', () => {
    expect(parseConfig({}).grid.relu).toBe(true);
    expect(parseConfig({ visualization: { relu: true } }).visualization).toEqual({ ...parseConfig({}).visualization, relu: true });
    const { relu: _, ...pre } = GRID_RECIPE;
    expect(parseConfig({ grid: { relu: false } }).grid).toEqual(pre);
    expect(parseConfig({ visualization: { relu: false } }).visualization).toEqual(parseConfig({}).visualization);
    expect('relu' in parseConfig({ visualization: { relu: false } }).visualization).toBe(false);
    expect(() => parseConfig({ grid: { relu: 'yes' } }, 'a.json')).toThrow(/a\.json: grid\.relu: /);
  });

  it('takes a device: auto by default, cpu or cuda, anything else fails naming the field', () => {
    expect(parseConfig({}).device).toBe('auto');
    expect(parseConfig({ device: 'cuda' }).device).toBe('cuda');
    expect(() => parseConfig({ device: 'gpu' }, 'a.json')).toThrow(/a\.json: device: .*"auto"\|"cpu"\|"cuda"/);
  });

  it('checks layers and units against the model and the weights', async () => {
    const w = await weights();
    const avail = availableLayers(vgg19, w);
    const check = (raw: unknown) => () => checkConfig(parseConfig(raw), vgg19, avail, 'x.json');
    expect(check({ featured: [{ layer: 'block9_conv1', unit: 0 }] })).toThrow(/featured\[0\]: unknown layer 'block9_conv1'/);
    expect(check({ featured: [{ layer: 'block2_conv1', unit: 128 }] })).toThrow(/unit 128 out of range for block2_conv1 \(units 0\.\.127\)/);
    expect(check({ circuits: [{ layer: 'block4_conv1', unit: 0 }] })).toThrow(/circuits\[0\]: layer block4_conv1 is not in the loaded weights/);
    expect(check({ circuits: [{ layer: 'block4_conv1', unit: 0 }] })).toThrow(expect.objectContaining({ hint: expect.stringMatching(/prefix of the network.*npm run fetch-model/) }));
    expect(check({ layers: [{ layer: 'block1_pool' }] })).toThrow(/block1_pool is a pool layer/);
    expect(check({ overrides: { 'block3_conv4:999': { steps: 8 } } })).toThrow(/overrides\["block3_conv4:999"\]: unit 999 out of range/);
    expect(check({ featured: [{ layer: 'block3_conv4', unit: 8 }] })).not.toThrow();
  });

  it("expands layer '*' to every conv layer the weights hold, leaving out those another entry names", async () => {
    const avail = availableLayers(vgg19, await weights());
    const c = parseConfig({ layers: [{ layer: 'block3_conv4', visualize: 'all', recipe: 'full' }, { layer: EVERY_LAYER, visualize: 'all', recipe: 'grid' }] });
    expect(() => checkConfig(c, vgg19, avail)).not.toThrow();
    const e = expandLayers(c, vgg19, avail);
    // The notop prefix: block1..block3's convs, in network order; block3_conv4 keeps its own entry.
    expect(e.layers.map((l) => `${l.layer}:${l.recipe}`)).toEqual([
      'block3_conv4:full',
      ...['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2', 'block3_conv1', 'block3_conv2', 'block3_conv3'].map((l) => `${l}:grid`),
    ]);
    expect(planAtlas(e, vgg19, await weights()).fv).toHaveLength(1408);
    // The full Keras file holds block4 and block5 too (and the dense head, which has no units to show).
    const full = vgg19.layers.map((l) => l.name);
    expect(expandLayers(parseConfig({ layers: [{ layer: EVERY_LAYER }] }), vgg19, full).layers.map((l) => l.layer)).toEqual(vgg19.layers.filter((l) => l.kind === 'conv').map((l) => l.name));
    expect(expandLayers(c, vgg19, full).layers).toHaveLength(16);
    // A unit list cannot apply to layers of different widths.
    expect(() => checkConfig(parseConfig({ layers: [{ layer: EVERY_LAYER, visualize: [0, 1] }] }), vgg19, avail, 'x.json')).toThrow(/layers\[0\]: layer '\*' \(every layer the weights hold\) takes visualize 'all' or none/);
    const plain = parseConfig({ layers: [{ layer: 'block1_conv1' }] });
    expect(expandLayers(plain, vgg19, avail)).toBe(plain);
  });

  it('plans the full profile as every unit of the layers the weights hold, each objective', async () => {
    const w = await weights();
    const avail = availableLayers(vgg19, w);
    const { config } = await loadConfig('configs/full.config.ts');
    // (its MACO image needs a dataset, which the tests' environment need not name)
    expect(() => checkConfig({ ...config, dataset: 'images' }, vgg19, avail)).not.toThrow();
    const plan = planAtlas(expandLayers(config, vgg19, avail), vgg19, w);
    expect(plan.atlases.map((a) => a.layer)).toEqual(['block3_conv4', 'block3_conv3', 'block3_conv2', 'block3_conv1', 'block2_conv2', 'block2_conv1', 'block1_conv2', 'block1_conv1']);
    // Every unit with each objective at the full recipe, and the default atlas's MACO image of unit 166.
    expect(plan.fv).toHaveLength(1408 * 4 + 1);
    // The default atlas's featured units, tuning and circuit, as there: the write-up written for it builds on this data.
    const base = planAtlas((await loadConfig('atlas.config.ts')).config, vgg19, w);
    expect(plan.featured).toEqual(base.featured);
    expect(plan.tuning).toEqual(base.tuning);
    expect(plan.pose).toEqual(base.pose);
    expect(plan.circuits).toEqual(base.circuits);
    // Pose: the three featured units, then the circuit's root (already there) and its 10 direct inputs.
    expect(base.pose.slice(0, 3)).toEqual([166, 211, 186].map((unit) => ({ layer: 'block3_conv4', unit })));
    const inputs = base.circuits[0].nodes.filter((n) => n.layer === 'block3_conv3');
    expect(base.pose.slice(3)).toEqual(inputs);
    expect(inputs).toHaveLength(10);
    const key = (t: (typeof plan.fv)[number]) => `${t.layer}:${t.unit}:${t.objective}:${t.recipe}`;
    const full = new Set(plan.fv.map(key));
    expect(base.fv.filter((t) => t.atlas === undefined && !full.has(key(t)))).toEqual([]);
  });

  it('reads .json and .ts files, resolving paths relative to the file, and reports a missing one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-cfg-'));
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ out: 'gen', dataset: 'data' }));
    const { config } = await loadConfig(path.join(dir, 'a.json'));
    expect(config.out).toBe(path.join(dir, 'gen'));
    expect(config.dataset).toBe(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'b.json'), '{ not json');
    await expect(loadConfig(path.join(dir, 'b.json'))).rejects.toThrow(/cannot read config/);
    await expect(loadConfig(path.join(dir, 'none.ts'))).rejects.toThrow(/config file not found/);
    const ci = await loadConfig('configs/ci.config.ts');
    expect(ci.config.visualization.steps).toBe(16);
  });

  it('plans examples for every layer a circuit touches and feature vis for the unit and its inputs', async () => {
    const w = await weights();
    const plan = planAtlas(parseConfig({ featured: [{ layer: 'block2_conv1', unit: 5, objectives: ['channel', 'diversity'] }], circuits: [{ layer: 'block2_conv1', unit: 5, depth: 1, top: 3 }] }), vgg19, w);
    expect(plan.layers).toEqual(['block1_conv2', 'block2_conv1']);
    expect(plan.fv.filter((t) => t.layer === 'block1_conv2')).toHaveLength(3);
    expect(plan.fv.filter((t) => t.layer === 'block2_conv1').map((t) => t.objective)).toEqual(['channel', 'diversity']);
  });

  it('plans a layer atlas at the grid recipe beside the full visualizations, with partial grid overrides', async () => {
    const w = await weights();
    const plan = planAtlas(
      parseConfig({
        visualization: { seed: 3 },
        grid: { steps: 32 },
        featured: [{ layer: 'block1_conv2', unit: 7, objectives: ['channel'] }],
        layers: [{ layer: 'block1_conv2', visualize: 'all', recipe: 'grid' }],
      }),
      vgg19,
      w,
    );
    const grid = plan.fv.filter((t) => t.recipe === 'grid');
    expect(grid.map((t) => t.unit)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    // The grid's relu applies to channel and neuron; negative and diversity stay pre-ReLU (objectives.ts optimizesPostRelu).
    const objectives = ['channel', 'neuron', 'negative', 'diversity'] as const;
    const tasks = planAtlas(parseConfig({ layers: [{ layer: 'block1_conv2', visualize: [3], objectives, recipe: 'grid' }] }), vgg19, w).fv;
    expect(Object.fromEntries(tasks.map((t) => [t.objective, t.settings.relu ?? false]))).toEqual({ channel: true, neuron: true, negative: false, diversity: false });
    expect(grid[0].settings).toEqual({ ...GRID_RECIPE, steps: 32, seed: 3 });
    const seven = plan.fv.filter((t) => t.unit === 7);
    expect(seven.map((t) => [t.recipe, t.settings.size, t.settings.steps])).toEqual([
      ['full', 128, 512],
      ['grid', GRID_RECIPE.size, 32],
    ]);
    expect(() => parseConfig({ layers: [{ layer: 'block1_conv2', recipe: 'tiny' }] }, 'a.json')).toThrow(/a\.json: layers\.0\.recipe: .*"full"\|"grid"\|"maco"/);
    expect(() => parseConfig({ grid: { schedule: 'step' } }, 'a.json')).toThrow(/a\.json: grid\.schedule/);
  });

  it('plans MACO beside Lucid for featured units and circuit inputs that ask for it, with partial MACO overrides', async () => {
    const w = await weights();
    const config = parseConfig({
      visualization: { seed: 3 },
      maco: { steps: 64, maco: { crops: 2 } },
      featured: [{ layer: 'block2_conv1', unit: 5, objectives: ['channel', 'negative'], recipes: ['full', 'maco'] }],
      circuits: [{ layer: 'block2_conv1', unit: 5, depth: 1, top: 2, inputRecipes: ['maco'] }],
    });
    const plan = planAtlas(config, vgg19, w);
    const maco = plan.fv.filter((t) => t.recipe === 'maco');
    expect(maco.map((t) => `${t.layer}:${t.unit}:${t.objective}`).filter((id) => id.startsWith('block2_conv1'))).toEqual(['block2_conv1:5:channel', 'block2_conv1:5:negative']);
    // The circuit's two inputs get MACO alone; its root keeps the full recipe.
    expect(maco.filter((t) => t.layer === 'block1_conv2')).toHaveLength(2);
    expect(plan.fv.filter((t) => t.layer === 'block1_conv2' && t.recipe === 'full')).toHaveLength(0);
    expect(maco[0].settings).toEqual({ ...MACO_RECIPE, steps: 64, seed: 3, maco: { ...MACO_SETTINGS, crops: 2 } });
    expect(plan.fv.find((t) => t.recipe === 'full' && t.unit === 5)!.settings.maco).toBeUndefined();
    // A Fourier recipe turned to MACO gets MACO's crops; a featured unit listed twice is featured once.
    expect(parseConfig({ visualization: { param: 'maco' } }).visualization.maco).toEqual(MACO_SETTINGS);
    const twice = parseConfig({ featured: [{ layer: 'block2_conv1', unit: 5 }, { layer: 'block2_conv1', unit: 5, objectives: ['channel'], recipes: ['maco'] }] });
    expect(planAtlas(twice, vgg19, w).featured).toEqual(['vgg19/block2_conv1/5']);
    expect(() => parseConfig({ maco: { maco: { box: [0.6, 0.4] } } }, 'a.json')).toThrow(/a\.json: maco\.maco\.box: box: \[smallest, largest\]/);
    expect(() => parseConfig({ featured: [{ layer: 'block2_conv1', unit: 5, recipes: ['grid'] }] }, 'a.json')).toThrow(/a\.json: featured\.0\.recipes\.0/);
    const saved = process.env.ATLAS_DATASET_DIR;
    delete process.env.ATLAS_DATASET_DIR;
    try {
      expect(() => checkConfig(twice, vgg19, availableLayers(vgg19, w))).toThrow(/recipe 'maco' needs a dataset for its magnitude spectrum/);
    } finally {
      if (saved !== undefined) process.env.ATLAS_DATASET_DIR = saved;
    }
  });
});
