// The built site from its files: every internal link and image resolves, the published JSON matches the
// schemas, no page is heavier than 1 MB of HTML + JS, every image has alt text and a size.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CircuitJson, LayerJson, Manifest, ModelJson, UnitJson } from '../../generator/pipeline/schema.ts';
import { brokenRefs, pageWeights, walk } from './helpers/site.ts';

const dist = inject('siteDist');

describe('built site files', () => {
  it('has the pages with stable permalinks', () => {
    for (const p of [
      'index.html',
      'models/vgg19/index.html',
      'models/vgg19/block2_conv1/index.html',
      'models/vgg19/block2_conv1/5/index.html',
      'models/vgg19/block1_conv2/33/index.html',
      'circuits/block2_conv1-5/index.html',
      'circuits/index.html',
      'writeups/index.html',
      'writeups/block2-conv1-5/index.html',
      'data/index.html',
      'search/index.html',
      '404.html',
      'pagefind/pagefind.js',
    ]) {
      expect(() => readFileSync(path.join(dist, p)), p).not.toThrow();
    }
  });

  it('every internal link, image, script and fragment resolves', () => {
    const { broken, checked, pages } = brokenRefs(dist);
    expect(pages).toBeGreaterThan(150);
    expect(checked).toBeGreaterThan(5000);
    expect(broken.slice(0, 20)).toEqual([]);
  });

  it('publishes the JSON, valid against the generator schemas', () => {
    const data = path.join(dist, 'data');
    const read = (rel: string) => JSON.parse(readFileSync(path.join(data, rel), 'utf8')) as unknown;
    const manifest = Manifest.parse(read('manifest.json'));
    // The CI atlas holds two models (configs/ci.config.ts, then configs/squeezenet-ci.config.ts): each one's files.
    expect(manifest.models).toEqual(['vgg19', 'squeezenet1.1']);
    for (const m of manifest.models) {
      const model = ModelJson.parse(read(`${m}/model.json`));
      expect(model.id).toBe(m);
      const layers = model.layers.filter((l) => l.generated.units > 0);
      expect(layers.length).toBeGreaterThan(0);
      for (const l of layers) {
        const lj = LayerJson.parse(read(`${m}/${l.name}.json`));
        expect(lj.units.length).toBe(l.generated.units);
        for (const u of lj.units) expect(UnitJson.parse(read(`${m}/${l.name}/${u.unit}.json`)).id).toBe(`${m}/${l.name}/${u.unit}`);
      }
    }
    for (const c of manifest.circuits) {
      const cj = CircuitJson.parse(read(`circuits/${c.id}.json`));
      expect([cj.id, cj.model]).toEqual([c.id, c.model]);
    }
    // Paths inside the JSON are served under /atlas/.
    const unit = UnitJson.parse(read('vgg19/block2_conv1/5.json'));
    expect(() => readFileSync(path.join(dist, 'atlas', unit.fv.channel.images[0].file))).not.toThrow();
    expect(() => readFileSync(path.join(dist, 'atlas', unit.examples!.top[0].full))).not.toThrow();
  });

  it('keeps every page under 1 MB of HTML + JS; a layer page, which lists every unit, under 64 KB + 1.2 KB per unit (and 1/5 of that gzipped)', () => {
    const weights = pageWeights(dist);
    const top = weights.slice(0, 5).map((w) => `${w.page}: ${(w.total / 1024).toFixed(0)} KB (HTML ${(w.html / 1024).toFixed(0)} + JS ${(w.js / 1024).toFixed(0)})`);
    console.log(`heaviest pages (HTML + JS):\n  ${top.join('\n  ')}`);
    const layerUnits = (page: string): number | null => {
      const m = /^\/models\/([^/]+)\/([^/]+)\/$/.exec(page);
      if (!m) return null;
      return LayerJson.parse(JSON.parse(readFileSync(path.join(dist, 'data', m[1], `${m[2]}.json`), 'utf8'))).units.length;
    };
    let largestLayer = 0;
    for (const w of weights) {
      const units = layerUnits(w.page);
      if (units === null) {
        expect(w.total, w.page).toBeLessThan(1024 * 1024);
        continue;
      }
      largestLayer = Math.max(largestLayer, units);
      const budget = 64 * 1024 + units * 1.2 * 1024;
      expect(w.total, `${w.page} (${units} units)`).toBeLessThan(budget);
      const html = readFileSync(path.join(dist, w.page, 'index.html'));
      expect(gzipSync(html).length, `${w.page} gzipped`).toBeLessThan(budget / 5);
    }
    // The CI atlas has a 1,000-unit layer (SqueezeNet's logits), so the per-unit budget is exercised.
    expect(largestLayer).toBe(1000);
  });

  it('gives every <img> alt text, width, height and lazy loading (except marked eager ones)', () => {
    const bad: string[] = [];
    for (const file of walk(dist, '.html')) {
      for (const m of readFileSync(file, 'utf8').matchAll(/<img\b[^>]*>/g)) {
        const tag = m[0];
        if (!/\salt="[^"]+"/.test(tag) || !/\swidth="\d+"/.test(tag) || !/\sheight="\d+"/.test(tag) || !/\sloading="(lazy|eager)"/.test(tag)) bad.push(`${path.relative(dist, file)}: ${tag}`);
      }
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('indexes units, layers, circuits and write-ups for search (Pagefind)', () => {
    const entry = JSON.parse(readFileSync(path.join(dist, 'pagefind', 'pagefind-entry.json'), 'utf8')) as { languages: Record<string, { page_count: number }> };
    const count = Object.values(entry.languages).reduce((a, l) => a + l.page_count, 0);
    expect(count).toBeGreaterThan(190);
  });
});
