// `atlas generate 2>&1 | cat`: off a terminal, progress comes as plain lines (job start and finish, and
// status lines inside long jobs), and the same lines go to <out>/run.log.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atlas } from '../helpers/cli.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

describe('atlas generate progress off a terminal', () => {
  it('prints a line per job start and finish and status lines inside long jobs, and logs them to run.log', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-progress-'));
    const file = path.join(dir, 'atlas.config.json');
    writeFileSync(
      file,
      JSON.stringify({
        out: 'out',
        datasetLimit: 8,
        examples: { top: 2 },
        visualization: { size: 64, steps: 160, lr: 0.05, seed: 0, batch: 1 },
        featured: [{ layer: 'block2_conv1', unit: 5, objectives: ['channel', 'negative'] }],
      }),
    );
    const env = { ATLAS_DATASET_DIR: path.join(SHARED_DIR, 'datasets', 'imagenet-sample'), ATLAS_PROGRESS_INTERVAL: '0.2' };
    const r = await atlas(['generate', '--config', file], env);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('progress: '));
    const shape = /^progress: (\w+) \| (\d+)\/(\d+) jobs \(\d+%\) \| (.+) \| elapsed \d+:\d\d \| ETA (\d+:\d\d|\?)$/;
    for (const l of lines) expect(l).toMatch(shape);
    const jobs = ['examples:block2_conv1', 'circuits:block2_conv1', 'fv:block2_conv1:5:channel', 'fv:block2_conv1:5:negative', 'model'];
    for (const id of jobs) expect(lines.some((l) => l.includes(`| finished ${id} in `)), id).toBe(true);
    expect(lines.filter((l) => l.includes('| start ')).length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => /^progress: fv \| .* \| running .*, fv block2_conv1 (channel|negative): \d+\/\d+ steps \|/.test(l)), lines.join('\n')).toBe(true);
    expect(lines.filter((l) => l.includes('| finished ')).at(-1)).toMatch(/^progress: model \| 5\/5 jobs \(100%\) \| finished model/);
    expect(lines.at(-1)).toMatch(/^progress: assemble \| 5\/5 jobs \(100%\) \| assembling/);
    expect(r.stderr).not.toMatch(/\r|\[[░█]+/); // no bar off a terminal
    const log = readFileSync(path.join(dir, 'out', 'run.log'), 'utf8').split('\n');
    expect(log[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z === atlas generate --config .*atlas\.config\.json$/);
    for (const l of lines.filter((x) => x.includes('| finished '))) expect(log.some((x) => x.endsWith(l))).toBe(true);
    expect(log.some((x) => / jobs: 5 to run, 0 up to date$/.test(x))).toBe(true);
    expect(log.some((x) => / finished in [\d.]+ s: 5 job\(s\) run, 0 up to date$/.test(x))).toBe(true);
  });
});
