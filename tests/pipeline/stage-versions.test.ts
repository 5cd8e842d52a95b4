// Stage code versions come from the stages' sources: one byte changed in a file only one stage reaches
// changes that stage's version alone, and `generate` then reruns that stage's jobs and nothing else.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../generator/paths.ts';
import { generate } from '../../generator/pipeline/generate.ts';
import { parseConfig } from '../../generator/pipeline/config.ts';
import { STAGES, type Stage } from '../../generator/pipeline/jobs.ts';
import { stageGraphs, stageVersions } from '../../generator/pipeline/stage-versions.ts';
import { NOTOP_WEIGHTS, shared } from '../helpers/shared.ts';

/** A copy of the sources the stages read (generator/ and data/), to edit freely. */
function sourceCopy(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'atlas-stagever-'));
  for (const d of ['generator', 'data', 'models/cards']) cpSync(path.join(PROJECT_ROOT, d), path.join(root, d), { recursive: true });
  return root;
}

/** Changes one byte of a file: the first letter of its first comment. */
function touchOneByte(root: string, file: string): void {
  const p = path.join(root, file);
  const buf = readFileSync(p);
  const i = buf.indexOf('// ') + 3;
  expect(i, `${file} has no comment to change`).toBeGreaterThan(2);
  buf[i] = buf[i] === 0x78 ? 0x79 : 0x78; // 'x' or 'y'
  writeFileSync(p, buf);
}

/** For each stage, a file that no other stage reaches (its runner at least; a library module if it has one). */
function ownFiles(): Record<Stage, string> {
  const graphs = stageGraphs();
  const owners = new Map<string, Stage[]>();
  for (const s of STAGES) for (const f of graphs[s].files) owners.set(f, [...(owners.get(f) ?? []), s]);
  const own = (s: Stage) => graphs[s].files.filter((f) => owners.get(f)!.length === 1);
  return Object.fromEntries(STAGES.map((s) => [s, own(s).find((f) => !f.includes('/pipeline/stages/')) ?? own(s)[0]])) as Record<Stage, string>;
}

const differing = (a: Record<Stage, string>, b: Record<Stage, string>) => STAGES.filter((s) => a[s] !== b[s]);

describe('stage code versions', () => {
  it('do not depend on where the sources are', () => {
    expect(stageVersions(sourceCopy())).toEqual(stageVersions());
  });

  it('a one-byte change in a file only one stage reaches changes that stage alone', () => {
    const base = stageVersions();
    const own = ownFiles();
    for (const s of STAGES) {
      expect(own[s], `stage ${s} has a file of its own`).toBeDefined();
      const root = sourceCopy();
      touchOneByte(root, own[s]);
      expect(differing(base, stageVersions(root)), `changed ${own[s]}`).toEqual([s]);
    }
  });

  it('the shapes only assemble writes and the site reads change no stage (schema.ts; the stages stamp schema-version.ts)', () => {
    const base = stageVersions();
    for (const s of STAGES) expect(stageGraphs()[s].files, s).not.toContain('generator/pipeline/schema.ts');
    const root = sourceCopy();
    touchOneByte(root, 'generator/pipeline/schema.ts');
    expect(differing(base, stageVersions(root))).toEqual([]);
    const stamp = sourceCopy();
    touchOneByte(stamp, 'generator/pipeline/schema-version.ts');
    expect(differing(base, stageVersions(stamp)).sort()).toEqual([...STAGES].sort());
  });

  it('an engine, or the class index, changes every stage that runs it', () => {
    const base = stageVersions();
    const engine = sourceCopy();
    touchOneByte(engine, 'generator/model/ort-engine.ts');
    expect(differing(base, stageVersions(engine)).sort()).toEqual(['examples', 'fv', 'graph', 'model', 'tuning', 'pose', 'circuits'].sort());
    const classes = sourceCopy();
    writeFileSync(path.join(classes, 'data/imagenet_class_index.json'), readFileSync(path.join(classes, 'data/imagenet_class_index.json'), 'utf8').replace('tench', 'tencH'));
    expect(differing(base, stageVersions(classes))).toEqual(expect.arrayContaining(['examples', 'model']));
  });

  it('generate reruns only the jobs of the stage whose code changed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-stagever-gen-'));
    const config = parseConfig({
      out: path.join(dir, 'out'),
      weights: NOTOP_WEIGHTS(),
      dataset: shared('datasets', 'imagenet-sample'),
      datasetLimit: 8,
      visualization: { size: 32, steps: 4, lr: 0.05, seed: 0, batch: 2 },
      examples: { top: 2 },
      featured: [{ layer: 'block1_conv2', unit: 3, objectives: ['channel'], tuning: ['edge'], pose: true }],
      circuits: [{ layer: 'block1_conv2', unit: 3, depth: 1, top: 2, visualizeInputs: false }],
    });
    const run = async (versions: Record<Stage, string>) => {
      const ran: string[] = [];
      const summary = await generate({ config, configFile: 'test.json', stageVersions: versions, verbose: (m) => m.startsWith('run ') && ran.push(m.split(' ')[2]) });
      return { ran: ran.sort(), summary };
    };
    const root = sourceCopy();
    const before = stageVersions(root);
    const first = await run(before);
    expect(new Set(first.ran.map((id) => id.split(':')[0]))).toEqual(new Set(STAGES));
    expect((await run(before)).ran).toEqual([]);
    // Versions are cached per process (sources do not change under a run): edit a fresh copy.
    const edited = sourceCopy();
    touchOneByte(edited, ownFiles().tuning);
    const after = stageVersions(edited);
    expect(differing(before, after)).toEqual(['tuning']);
    expect((await run(after)).ran).toEqual(['tuning:block1_conv2:3:edge']);
  });
});
