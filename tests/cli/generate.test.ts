// `atlas generate --stages ... --out DIR`: part of a profile's jobs into another folder, with the same job
// hashes as a full run (how the site tests build the real write-ups without feature visualizations).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStages } from '../../generator/cli/generate.ts';
import { atlas } from '../helpers/cli.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

const env = { ATLAS_DATASET_DIR: path.join(SHARED_DIR, 'datasets', 'imagenet-sample') };

function config(dir: string): string {
  const file = path.join(dir, 'atlas.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      out: 'out',
      datasetLimit: 8,
      visualization: { size: 32, steps: 4, lr: 0.05, seed: 0, batch: 2 },
      examples: { top: 2 },
      featured: [{ layer: 'block1_conv2', unit: 3, objectives: ['channel'], tuning: ['edge'] }],
    }),
  );
  return file;
}

const ran = (stderr: string) => [...stderr.matchAll(/^run\s+(\S+)/gm)].map((m) => m[1]).sort();

describe('atlas generate --stages --out', () => {
  it('parses a stage list and names unknown stages', () => {
    expect(parseStages(undefined)).toBeUndefined();
    expect(parseStages('examples, circuits')).toEqual(['examples', 'circuits']);
    expect(() => parseStages('examples,fvs')).toThrow(/unknown stage 'fvs'/);
    expect(() => parseStages(',')).toThrow(/no stage given/);
  });

  it('runs only the chosen stages into --out; a full run there then runs only the rest', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-stages-'));
    const out = path.join(dir, 'elsewhere');
    const r = await atlas(['generate', '--config', config(dir), '--out', out, '--stages', 'examples,circuits,tuning,model', '-v'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(ran(r.stderr)).toEqual(['circuits:block1_conv2', 'examples:block1_conv2', 'model', 'tuning:block1_conv2:3:edge']);
    expect(existsSync(path.join(dir, 'out'))).toBe(false); // the config's own out is untouched
    const unit = JSON.parse(readFileSync(path.join(out, 'vgg19/block1_conv2/3/unit.json'), 'utf8'));
    expect(unit.fv).toEqual({});
    expect(unit.thumbnail.kind).toBe('example');
    expect(Object.keys(unit.tuning)).toEqual(['edge']);

    const full = await atlas(['generate', '--config', path.join(dir, 'atlas.config.json'), '--out', out, '-v'], env);
    expect(full.status, full.stderr).toBe(0);
    expect(ran(full.stderr)).toEqual(['fv:block1_conv2:3:channel']);
  });

  it('rejects an unknown stage with exit 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-gen-stages-bad-'));
    const r = await atlas(['generate', '--config', config(dir), '--stages', 'fv,visualize'], env);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown stage 'visualize'");
  });
});
