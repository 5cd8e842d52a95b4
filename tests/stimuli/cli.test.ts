import { describe, expect, it } from 'vitest';
import { atlas } from '../helpers/cli.ts';
import { imageFolder, tempDir } from '../dataset/fixtures.ts';

describe('atlas tune', () => {
  it('prints the documented JSON for block2_conv2 unit 5 with arcs', async () => {
    const r = await atlas(['tune', '--layer', 'block2_conv2', '--unit', '5', '--stimulus', 'arc', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['model', 'layer', 'unit', 'stimulus', 'probe', 'params', 'orientation', 'grid', 'summary']);
    expect(out).toMatchObject({ model: 'vgg19', layer: 'block2_conv2', unit: 5, stimulus: 'arc', probe: { size: 32, centre: [15, 15], rf: { size: 14, stride: 2, offset: 1 } } });
    expect(out.orientation.angles).toHaveLength(24);
    expect(out.orientation.pre).toHaveLength(24);
    out.orientation.pre.forEach((v: number, i: number) => expect(out.orientation.post[i]).toBeCloseTo(Math.max(0, v), 4));
    expect(out.grid.rows).toBe('curvature');
    expect(out.grid.rowValues[0]).toBe(0);
    expect(out.grid.pre).toHaveLength(out.grid.rowValues.length);
    expect(Object.keys(out.summary)).toEqual([
      'preferred',
      'response',
      'preferredOrientation',
      'orientationPeriod',
      'orientationSelectivity',
      'rotationInvariance',
      'curveVsLine',
    ]);
    expect(out.summary.orientationPeriod).toBe(360);
    expect(r.stderr).toMatch(/tune block2_conv2:5 arc: .* s on a 32px canvas/);
  });

  it('prints a readable table: every grid row as many numbers as columns (5-digit activations at block3 ran together)', async () => {
    const r = await atlas(['tune', '--layer', 'block3_conv4', '--unit', '166', '--stimulus', 'circle']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) => /^\s+width \|/.test(l));
    const columns = lines[head].split('|')[1].trim().split(/\s+/).length;
    const rows = lines.slice(head + 1).filter((l) => /^\s+[\d.]+ \|/.test(l));
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) {
      const cells = row.split('|')[1].trim().split(/\s+/);
      expect(cells, row).toHaveLength(columns);
      for (const c of cells) expect(Number.isFinite(Number(c)), row).toBe(true);
    }
    expect(Math.max(...rows.flatMap((row) => row.split('|')[1].trim().split(/\s+/).map(Number)))).toBeGreaterThan(10_000);
  });

  it('exits 2 on a bad stimulus, a unit out of range or a layer the weights lack', async () => {
    const bad = await atlas(['tune', '--layer', 'block2_conv2', '--unit', '5', '--stimulus', 'square']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/square.*Allowed choices are circle, arc, line, edge, ellipse/s);
    const unit = await atlas(['tune', '--layer', 'block2_conv2', '--unit', '128', '--stimulus', 'line']);
    expect(unit.status).toBe(2);
    expect(unit.stderr).toMatch(/unit 128 is out of range for block2_conv2\n  hint: block2_conv2 has units 0..127/);
    const layer = await atlas(['tune', '--layer', 'block4_conv1', '--unit', '0', '--stimulus', 'line']);
    expect(layer.status).toBe(2);
    expect(layer.stderr).toMatch(/block4_conv1 is not in the loaded weights/);
  });
});

describe('atlas search', () => {
  it('ranks block2_conv2 by curves over lines and prints a table', async () => {
    const r = await atlas(['search', '--layer', 'block2_conv2', '--family', 'curves-vs-lines', '--top', '5', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ model: 'vgg19', layer: 'block2_conv2', family: 'curves-vs-lines', units: 128, minResponse: 0.1 });
    expect(out.ranking).toHaveLength(5);
    expect(Object.keys(out.ranking[0])).toEqual(['rank', 'unit', 'index', 'target', 'line', 'disc', 'weak', 'bestTarget', 'bestLine']);
    expect(out.all.index).toHaveLength(128);
    const idx = out.ranking.map((u: { index: number }) => u.index);
    expect(idx).toEqual([...idx].sort((a, b) => b - a));
    const text = await atlas(['search', '--layer', 'block2_conv2', '--family', 'circles-vs-lines', '--top', '3', '--steps', '8']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout.split('\n').filter((l) => /^\s+\d+\s+\d+\s/.test(l))).toHaveLength(3);
    const bad = await atlas(['search', '--layer', 'block2_conv2', '--family', 'squares-vs-lines']);
    expect(bad.status).toBe(2);
  });
});

describe('atlas pose', () => {
  it("turns a unit's top dataset examples and reports the share of its response each pose keeps", async () => {
    const dataset = imageFolder(6);
    const out = tempDir('atlas-pose-');
    const r = await atlas(['pose', '--layer', 'block2_conv2', '--unit', '5', '--dataset', dataset, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(Object.keys(res)).toEqual(['model', 'layer', 'unit', 'probe', 'window', 'poses', 'examples', 'retained', 'weakest', 'reproduced', 'edge']);
    expect(res).toMatchObject({ model: 'vgg19', layer: 'block2_conv2', unit: 5, window: 14, poses: ['identity', 'rot90', 'rot180', 'rot270', 'mirror'] });
    expect(res.examples.length).toBeGreaterThan(0);
    expect(res.retained.identity).toBe(1);
    // Unturned, the window gives the dataset pass's value: only fields inside the photo are turned.
    expect(res.reproduced).toBeCloseTo(1, 4);
    expect(res.edge).toBeGreaterThanOrEqual(0);
    const text = await atlas(['pose', '--layer', 'block2_conv2', '--unit', '5', '--dataset', dataset, '--out', out]);
    expect(text.stdout).toMatch(/^block2_conv2:5 on its \d+ top dataset examples, each turned about its receptive field's centre \(14 px window, 32 px canvas\)$/m);
    expect(text.stdout).toMatch(/^ {2}rot180 +\d+%$/m);
    const none = await atlas(['pose', '--layer', 'block2_conv2', '--unit', '5'], { ATLAS_DATASET_DIR: '' });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/atlas pose needs dataset examples, and no dataset was given\n  hint: pass --dataset DIR .* or set ATLAS_DATASET_DIR\n/);
  });
});
