// The <Tuning> and <Stat> embeds refuse what the atlas does not have, naming the page, the id and what is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildSiteAsync } from './helpers/build.ts';
import { FIXTURES } from './helpers/paths.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'atlas-site-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('embed errors', () => {
  it('fails when a write-up embeds a tuning that was not generated, naming the page, the id and the stimulus', async () => {
    const r = await buildSiteAsync({ outDir: path.join(tmp, 'bad-tuning'), generatedDir: inject('generatedDir'), contentDir: path.join(FIXTURES, 'bad-tuning') });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('/writeups/missing-tuning/');
    expect(r.output).toContain('<Tuning id="vgg19/block2_conv1/5" stimulus="circle" />');
    expect(r.output).toContain('has no generated tuning');
  });

  it('fails when a write-up cites a number that is not in unit.json, naming the page, the id and the path', async () => {
    const r = await buildSiteAsync({ outDir: path.join(tmp, 'bad-stat'), generatedDir: inject('generatedDir'), contentDir: path.join(FIXTURES, 'bad-stat') });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('/writeups/missing-stat/');
    expect(r.output).toContain('vgg19/block2_conv1/5');
    expect(r.output).toContain('path "tuning.circle.summary.rotationInvariance"');
  });
});
