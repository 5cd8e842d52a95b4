import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atlas } from '../helpers/cli.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

const CONNECTION_KEYS = ['layer', 'unit', 'l2', 'sum', 'max', 'sign', 'kernel'];

describe('atlas circuit', () => {
  it('prints the documented JSON for block3_conv4 unit 8, with empty outputs explained on stderr', async () => {
    const r = await atlas(['circuit', '--layer', 'block3_conv4', '--unit', '8', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['layer', 'unit', 'inputs', 'excitatory', 'inhibitory', 'outputs', 'graph']);
    expect(out).toMatchObject({ layer: 'block3_conv4', unit: 8, outputs: [] });
    for (const list of ['inputs', 'excitatory', 'inhibitory']) {
      expect(out[list]).toHaveLength(10);
      for (const c of out[list]) {
        expect(Object.keys(c)).toEqual(CONNECTION_KEYS);
        expect(c.layer).toBe('block3_conv3');
        expect(c.kernel).toHaveLength(3);
        expect(['excitatory', 'inhibitory']).toContain(c.sign);
      }
    }
    expect(out.excitatory.every((c: { sign: string }) => c.sign === 'excitatory')).toBe(true);
    expect(Object.keys(out.graph)).toEqual(['nodes', 'edges']);
    expect(out.graph.edges).toHaveLength(110);
    expect(Object.keys(out.graph.nodes[0])).toEqual(['id', 'layer', 'unit', 'depth', 'minTop', 'inputScale']);
    expect(Object.keys(out.graph.edges[0])).toEqual(['source', 'target', 'l2', 'sum', 'sign', 'kernel', 'rank']);
    expect(r.stderr).toMatch(/block3_conv4 feeds block4_conv1, which is not in the loaded weights: outputs are empty/);
  });

  it('adds expanded weights and outputs where the next layer is loaded; prints a table without --json', async () => {
    const r = await atlas(['circuit', '--layer', 'block2_conv2', '--unit', '5', '--top', '3', '--depth', '1', '--expanded', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['layer', 'unit', 'inputs', 'excitatory', 'inhibitory', 'outputs', 'expanded', 'graph']);
    expect(out.outputs.map((c: { layer: string }) => c.layer)).toEqual(['block3_conv1', 'block3_conv1', 'block3_conv1']);
    expect(out.expanded).toHaveLength(3);
    expect(out.expanded[0]).toMatchObject({ layer: 'block1_conv2', via: 'block2_conv1', stride: 2, origin: -4 });
    expect(out.expanded[0].kernel).toHaveLength(10);
    expect(out.graph.edges).toHaveLength(3);

    const text = await atlas(['circuit', '--layer', 'block1_conv1', '--unit', '0']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/block1_conv1 unit 0: inputs from input/);
    expect(text.stdout).toMatch(/input:2 \(R\)/);
    expect(text.stdout).toMatch(/outputs to block1_conv2/);
  });

  it('exits 2 with a clear message for a bad unit, an unknown layer, --expanded on the first conv and attribution without a dataset', async () => {
    // Independent processes: run them side by side.
    const [bad, neg, unknown, first, noData, top] = await Promise.all([
      atlas(['circuit', '--layer', 'block3_conv4', '--unit', '256', '--json']),
      atlas(['circuit', '--layer', 'block3_conv4', '--unit', '-1']),
      atlas(['circuit', '--layer', 'block3_conv9', '--unit', '0']),
      atlas(['circuit', '--layer', 'block1_conv1', '--unit', '0', '--expanded']),
      atlas(['circuit', '--layer', 'block2_conv1', '--unit', '0', '--rank', 'attribution'], { ATLAS_DATASET_DIR: '' }),
      atlas(['circuit', '--layer', 'block2_conv1', '--unit', '0', '--top', 'many']),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unit 256 is out of range for block3_conv4: it has units 0\.\.255/);
    expect(bad.stdout).toBe('');
    expect(neg.status).toBe(2);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown layer 'block3_conv9'/);
    expect(first.status).toBe(2);
    expect(first.stderr).toMatch(/block1_conv1 has no conv layer before it/);
    expect(noData.status).toBe(2);
    expect(noData.stderr).toMatch(/--rank attribution needs dataset examples[^]*--dataset DIR/);
    expect(top.status).toBe(2);
    expect(top.stderr).toMatch(/'many' is not a positive integer or 'all'/);
  });

  it('ranks by attribution through the dataset stage (first images of the shared sample)', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'atlas-circuit-'));
    const dataset = path.join(SHARED_DIR, 'datasets', 'imagenet-sample');
    const r = await atlas(['circuit', '--layer', 'block1_conv2', '--unit', '7', '--rank', 'attribution', '--dataset', dataset, '--limit', '3', '--out', out, '--depth', '0', '--top', '4', '--json']).finally(() =>
      rmSync(out, { recursive: true, force: true }),
    );
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.inputs).toHaveLength(4);
    expect(Object.keys(doc.inputs[0])).toEqual([...CONNECTION_KEYS, 'attribution']);
    const abs = doc.inputs.map((c: { attribution: number }) => Math.abs(c.attribution));
    expect(abs).toEqual([...abs].sort((a, b) => b - a));
    expect(r.stderr).toMatch(/attribution over the 3 top examples of block1_conv2 unit 7/);
  });
});
