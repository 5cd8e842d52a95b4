// The build refuses broken input: a write-up embedding a unit the atlas does not have, and no data at all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { buildSite } from './helpers/build.ts';
import { FIXTURES } from './helpers/paths.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'atlas-site-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('build errors', () => {
  it('fails without generated data, saying how to generate it', () => {
    const r = buildSite({ outDir: path.join(tmp, 'none'), generatedDir: path.join(tmp, 'empty'), contentDir: path.join(FIXTURES, 'writeups') });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('no generated atlas data');
    expect(r.output).toContain('atlas generate');
  });

  it('fails when a write-up embeds a unit that was not generated, naming the id', () => {
    const r = buildSite({ outDir: path.join(tmp, 'bad'), generatedDir: inject('generatedDir'), contentDir: path.join(FIXTURES, 'bad-writeups') });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('vgg19/block3_conv4/8');
    expect(r.output).toContain('/writeups/missing-unit/');
  });
});
