// The pipeline end to end on a tiny profile: skipping, targeted recomputation, kill -9 and resume,
// shards + merge. Runs the real `atlas` binary, as a user (or a cluster job) would.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../generator/paths.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { ESTIMATE_MARGIN } from '../../generator/pipeline/budget.ts';
import { atlas } from '../helpers/cli.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

const env = { ATLAS_DATASET_DIR: path.join(SHARED_DIR, 'datasets', 'imagenet-sample') };

function config(dir: string, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, 'atlas.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      out: 'out',
      datasetLimit: 12,
      visualization: { size: 32, steps: 8, lr: 0.05, seed: 0, batch: 2 },
      examples: { top: 3 },
      featured: [{ layer: 'block1_conv2', unit: 3, objectives: ['channel', 'negative'] }],
      circuits: [{ layer: 'block1_conv2', unit: 3, depth: 1, top: 3 }],
      ...extra,
    }),
  );
  return file;
}

/** Every output file (relative path -> bytes), without per-run facts (run.json, run.log, job records' times). */
function snapshot(out: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(out, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (r !== '.cache' && !r.startsWith('shard-')) walk(r);
      } else if (r !== 'run.json' && r !== 'run.log') files.set(r, readFileSync(path.join(out, r)));
    }
  };
  walk('');
  return files;
}

function expectSame(a: Map<string, Buffer>, b: Map<string, Buffer>): void {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  const differ = [...a.keys()].filter((k) => !a.get(k)!.equals(b.get(k)!));
  expect(differ).toEqual([]);
}

const summaryOf = (stderr: string) => {
  const m = /(\d+) job\(s\) run, (\d+) up to date/.exec(stderr);
  return m ? { run: Number(m[1]), skipped: Number(m[2]) } : null;
};

let reference: Map<string, Buffer>;
let refDir: string;

beforeAll(async () => {
  refDir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-ref-'));
  const r = await atlas(['generate', '--config', config(refDir)], env);
  expect(r.status, r.stderr).toBe(0);
  reference = snapshot(path.join(refDir, 'out'));
});

describe('atlas generate', () => {
  it('writes the assembled atlas', () => {
    for (const f of ['manifest.json', 'vgg19/model.json', 'vgg19/block1_conv2/layer.json', 'vgg19/block1_conv2/3/unit.json', 'vgg19/block1_conv2/3/fv-channel.png', 'circuits/block1_conv2-3.json']) {
      expect(reference.has(f), f).toBe(true);
    }
    const unit = JSON.parse(reference.get('vgg19/block1_conv2/3/unit.json')!.toString());
    expect(Object.keys(unit.fv).sort()).toEqual(['channel', 'negative']);
    expect(unit.examples.top).toHaveLength(3);
    expect(unit.fv.channel.provenance.weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The input side the site states and sizes full images by, from the model's spec; block1 keeps it ('same' convs).
    const model = JSON.parse(reference.get('vgg19/model.json')!.toString());
    expect(model.inputSize).toBe(vgg19.inputSize);
    expect(model.layers[0].shape.slice(0, 2)).toEqual([vgg19.inputSize, vgg19.inputSize]);
  });

  it('skips every job on a second run with nothing changed', async () => {
    const r = await atlas(['generate', '--config', path.join(refDir, 'atlas.config.json')], env);
    expect(r.status, r.stderr).toBe(0);
    expect(summaryOf(r.stderr)).toEqual({ run: 0, skipped: expect.any(Number) });
    expectSame(reference, snapshot(path.join(refDir, 'out')));
  });

  it('recomputes only the unit whose settings changed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-one-'));
    cpSync(path.join(refDir, 'out'), path.join(dir, 'out'), { recursive: true });
    const file = config(dir, { overrides: { 'block1_conv2:3': { steps: 10 } } });
    const r = await atlas(['generate', '--config', file, '-v'], env);
    expect(r.status, r.stderr).toBe(0);
    const ran = r.stderr.split('\n').filter((l) => l.startsWith('run ')).map((l) => l.split(' ')[2]);
    expect(ran.sort()).toEqual(['fv:block1_conv2:3:channel', 'fv:block1_conv2:3:negative']);
    const after = snapshot(path.join(dir, 'out'));
    expect(after.get('vgg19/block1_conv2/3/fv-channel.png')!.equals(reference.get('vgg19/block1_conv2/3/fv-channel.png')!)).toBe(false);
    const other = [...reference.keys()].find((k) => /block1_conv1\/\d+\/fv-channel\.png$/.test(k))!; // an input's image
    expect(after.get(other)!.equals(reference.get(other)!)).toBe(true);
  });

  it('renders post-ReLU where a recipe says relu, says so in the JSON, and recomputes only those jobs (not negative, which stays pre-ReLU)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-relu-'));
    cpSync(path.join(refDir, 'out'), path.join(dir, 'out'), { recursive: true });
    const r = await atlas(['generate', '--config', config(dir, { overrides: { 'block1_conv2:3': { relu: true } } }), '-v'], env);
    expect(r.status, r.stderr).toBe(0);
    const ran = r.stderr.split('\n').filter((l) => l.startsWith('run ')).map((l) => l.split(' ')[2]);
    expect(ran).toEqual(['fv:block1_conv2:3:channel']);
    const after = snapshot(path.join(dir, 'out'));
    const unit = JSON.parse(after.get('vgg19/block1_conv2/3/unit.json')!.toString());
    expect(unit.fv.channel.settings.relu).toBe(true);
    expect(unit.fv.negative.settings.relu).toBeUndefined();
    expect(JSON.parse(reference.get('vgg19/block1_conv2/3/unit.json')!.toString()).fv.channel.settings.relu).toBeUndefined();
    // Another objective's gradient, so other pixels than the pre-ReLU render of the same seed.
    expect(after.get('vgg19/block1_conv2/3/fv-channel.png')!.equals(reference.get('vgg19/block1_conv2/3/fv-channel.png')!)).toBe(false);
  });

  it('resumes after kill -9 and ends with the same bytes as an uninterrupted run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-kill-'));
    const file = config(dir, { visualization: { size: 32, steps: 40, lr: 0.05, seed: 0, batch: 1 } });
    const ref2 = mkdtempSync(path.join(tmpdir(), 'atlas-gen-kill-ref-'));
    const refFile = config(ref2, { visualization: { size: 32, steps: 40, lr: 0.05, seed: 0, batch: 1 } });
    expect((await atlas(['generate', '--config', refFile], env)).status).toBe(0);
    // Kill as soon as the first feature visualization has been recorded: mid-way through that stage.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'atlas.mjs'), 'generate', '--config', file], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ATLAS_MODELS_DIR: path.join(SHARED_DIR, 'models'), ...env },
        stdio: 'ignore',
      });
      const jobs = path.join(dir, 'out', '.cache', 'jobs', 'vgg19');
      const timer = setInterval(() => {
        if (existsSync(jobs) && readdirSync(jobs).some((f) => f.startsWith('fv_'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 20);
      child.on('exit', (code, signal) => {
        clearInterval(timer);
        if (signal === 'SIGKILL') resolve();
        else reject(new Error(`generate ended (${code}) before it could be killed`));
      });
    });
    expect(existsSync(path.join(dir, 'out', 'manifest.json'))).toBe(false);
    const r = await atlas(['generate', '--config', file], env);
    expect(r.status, r.stderr).toBe(0);
    expect(summaryOf(r.stderr)!.skipped).toBeGreaterThan(0);
    expectSame(snapshot(path.join(ref2, 'out')), snapshot(path.join(dir, 'out')));
  });

  it('two shards merged equal one full run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-shard-'));
    const file = config(dir);
    for (const s of ['1/2', '2/2']) {
      const r = await atlas(['generate', '--config', file, '--shard', s], env);
      expect(r.status, r.stderr).toBe(0);
    }
    const shards = ['shard-1-of-2', 'shard-2-of-2'].map((s) => path.join(dir, 'out', s));
    for (const s of shards) expect(statSync(s).isDirectory()).toBe(true);
    const m = await atlas(['merge', ...shards, '--config', file], env);
    expect(m.status, m.stderr).toBe(0);
    expect(m.stderr).toMatch(/assembled: 0 job\(s\) run/);
    expectSame(reference, snapshot(path.join(dir, 'out')));
  });

  it('a budget leaves a layer atlas out whole, says so on the layer page data, and a later run adds it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-budget-'));
    cpSync(path.join(refDir, 'out'), path.join(dir, 'out'), { recursive: true });
    const file = config(dir, { grid: { size: 32, steps: 8, batch: 16 }, layers: [{ layer: 'block1_conv1', visualize: 'all', recipe: 'grid' }], budget: { minutes: 0.001 } });
    const layerJson = () => JSON.parse(readFileSync(path.join(dir, 'out/vgg19/block1_conv1/layer.json'), 'utf8'));
    const grids = () => readdirSync(path.join(dir, 'out/vgg19/block1_conv1'), { recursive: true }).filter((f) => String(f).endsWith('grid-channel.png')).length;
    const r1 = await atlas(['generate', '--config', file], env);
    expect(r1.status, r1.stderr).toBe(0);
    expect(r1.stderr).toMatch(/budget: layer atlas block1_conv1 \(grid, 64 of 64 units to render\): about [\d.]+ (s|min) here \([\d.]+ (s|min) with a \d+% margin\), -?[\d.]+ (s|min) left of the 0\.001-minute budget: too long to run whole; its units get what the budget leaves/);
    expect(r1.stderr).toMatch(/0 job\(s\) run, \d+ up to date, layer atlases left out by the 0\.001-minute budget: block1_conv1 \(grid\)/);
    expect(grids()).toBe(0);
    const omitted = layerJson().omitted;
    expect(omitted).toHaveLength(1);
    expect(omitted[0]).toMatchObject({ recipe: 'grid', units: 64, rendered: 0, pending: 64, headStart: 0, budgetMinutes: 0.001 });
    expect(r1.stderr).not.toMatch(/head start/);
    expect(omitted[0].estimateMinutes).toBeGreaterThan(0);
    expect(omitted[0].neededMinutes).toBeCloseTo(omitted[0].estimateMinutes * ESTIMATE_MARGIN, 6);
    expect(JSON.parse(readFileSync(path.join(dir, 'out/run.json'), 'utf8')).budget.atlases[0]).toMatchObject({ layer: 'block1_conv1', admitted: false });
    // The flag overrides the config: a generous budget admits it, and the page data no longer says it is missing.
    const r2 = await atlas(['generate', '--config', file, '--budget', '60'], env);
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/budget: layer atlas block1_conv1 \(grid, 64 of 64 units to render\).*: runs/);
    expect(r2.stderr).toMatch(/64 job\(s\) run/);
    expect(grids()).toBe(64);
    expect(layerJson().omitted).toEqual([]);
    expect((await atlas(['generate', '--config', file, '--budget', '30m'], env)).stderr).toMatch(/--budget '30m' is not a number of minutes/);
  });

  it('rejects bad flags and configs with exit 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-bad-'));
    const r1 = await atlas(['generate', '--config', config(dir, { featured: [{ layer: 'block1_conv2', unit: 64 }] })], env);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toMatch(/unit 64 out of range for block1_conv2/);
    expect((await atlas(['generate', '--config', config(dir), '--shard', '3/2'], env)).status).toBe(2);
    expect((await atlas(['generate', '--config', config(dir), '--only', 'block1_conv2:x'], env)).status).toBe(2);
  });
});
