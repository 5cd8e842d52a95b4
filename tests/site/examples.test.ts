// The unit page's dataset examples against the published JSON: negative examples (pre-ReLU) beside the
// negative feature visualization, each row saying what ranks it, the FV caption in pre-ReLU terms, no
// crop for images on which a unit is silent, and how often and how widely the unit fires.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { LayerJson, ModelJson, UnitJson } from '../../generator/pipeline/schema.ts';
import { percent } from '../../src/lib/format.ts';
import { useSession } from './helpers/session.ts';

const s = useSession();
const dist = inject('siteDist');
const read = (rel: string) => JSON.parse(readFileSync(path.join(dist, 'data', rel), 'utf8')) as unknown;
/** The page's numbers as num() prints them: thousands separators, a minus sign. */
const parse = (t: string) => Number(t.replace(/,/g, '').replace('−', '-'));

describe('unit page: dataset examples', () => {
  it('shows the negative examples, pre-ReLU with crops, beside the negative feature visualization', async () => {
    const unit = UnitJson.parse(read('vgg19/block2_conv1/5.json'));
    const ex = unit.examples!;
    expect(ex.negative.length).toBeGreaterThan(0);
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/block2_conv1/5/`, { waitUntil: 'networkidle' });
    const beside = page.locator('#fv-negative-examples');
    await expect(beside.locator('.examples img').count()).resolves.toBe(Math.min(6, ex.negative.length));
    await expect(beside.textContent()).resolves.toContain('pre-ReLU min over positions');
    const shown = await beside.locator('.examples figcaption .mono').allTextContents();
    // 4 significant digits, as everywhere (one value, one spelling: the class table and write-ups agree).
    expect(shown.map(parse)).toEqual(ex.negative.slice(0, 6).map((e) => Number(e.activation.toPrecision(4))));
    // The full list, with what ranks it; crops are the published ones.
    const negative = page.locator('#negative');
    await expect(negative.locator('[data-rank]').textContent()).resolves.toContain('min over positions of the pre-ReLU value');
    const crops = await negative.locator('.examples img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).getAttribute('src')));
    expect(crops).toEqual(ex.negative.map((e) => expect.stringContaining(e.crop)));
    await expect(page.locator('#top [data-rank]').textContent()).resolves.toContain('max over positions of the post-ReLU activation');
    // The negative FV's caption and curve are pre-ReLU: below zero, where the post-ReLU value cannot go.
    const fv = unit.fv.negative;
    expect(fv.activation.pre!.mean).toBeLessThan(0);
    const caption = await page.locator('section[aria-labelledby="fv-negative"]').textContent();
    expect(caption).toContain('Pre-ReLU on the result');
    await expect(page.locator('section[aria-labelledby="fv-negative"] svg.chart').getAttribute('aria-label')).resolves.toMatch(/^Pre-ReLU channel mean .* to -/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says "silent on N of M images" and shows no crop for the tie at 0', async () => {
    // The unit of the layer silent on the most images, more of them than the lists hold.
    const layer = LayerJson.parse(read('vgg19/block2_conv1.json'));
    const units = layer.units.map((u) => UnitJson.parse(read(`vgg19/block2_conv1/${u.unit}.json`)).examples!);
    const k = Math.max(...units.map((e) => e.negative.length));
    const worst = units.reduce((best, e, i) => (e.silent > units[best].silent ? i : best), 0);
    const ex = units[worst];
    expect(ex.silent).toBeGreaterThan(k);
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/block2_conv1/${worst}/`, { waitUntil: 'networkidle' });
    const bottom = page.locator('#bottom');
    await expect(bottom.locator('[data-silent]').textContent()).resolves.toMatch(new RegExp(`Silent on\\s+${ex.silent} of ${ex.images}\\s+images`));
    // Only images it fires on, each with a positive value at a real position.
    await expect(bottom.locator('.examples img').count()).resolves.toBe(ex.bottom.length);
    for (const e of [...ex.top, ...ex.bottom]) expect(e.activation).toBeGreaterThan(0);
    expect(ex.bottom.length).toBe(Math.min(k, ex.images - ex.silent));
    // The lede: how often it fires and how much of an image it covers, as examples.json says.
    expect(ex.position_rate).toBeGreaterThan(0);
    await expect(page.locator('.lede').first().textContent()).resolves.toContain(
      `It fires at ${percent(ex.position_rate!)} of positions on average, somewhere in ${percent(ex.firing_rate)} of ${ex.images} dataset images; silent on ${ex.silent}.`,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
  it("marks the examples whose receptive field runs past the photo's edge, and outlines the field on the full image", async () => {
    const layer = LayerJson.parse(read('vgg19/block1_conv2.json'));
    const rf = layer.rf!;
    // The field of position i: [offset + i * stride - size / 2, + size), clipped to the 224 px photo.
    const span = (i: number) => {
      const start = Math.round(rf.offset + i * rf.stride - rf.size / 2);
      return [Math.max(0, start), Math.min(224, start + rf.size)] as const;
    };
    let checked = 0;
    let shown: { unit: number; n: number } | null = null;
    for (const u of layer.units) {
      const top = UnitJson.parse(read(`vgg19/block1_conv2/${u.unit}.json`)).examples!.top;
      for (const e of top) {
        const [[x0, x1], [y0, y1]] = [span(e.x), span(e.y)];
        expect(e.field).toEqual({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 });
        expect(e.edge).toBe(x1 - x0 < rf.size || y1 - y0 < rf.size);
        checked++;
      }
      const n = top.filter((e) => e.edge).length;
      if (n > 0 && !shown) shown = { unit: u.unit, n };
    }
    expect(checked).toBeGreaterThan(0);
    expect(shown, 'a CI unit with a top example at the edge').not.toBeNull();
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/block1_conv2/${shown!.unit}/`, { waitUntil: 'networkidle' });
    await expect(page.locator('#top .badge.edge').count()).resolves.toBe(shown!.n);
    await expect(page.locator('#top [data-edge-count]').textContent()).resolves.toContain(`${shown!.n} of`);
    // The full image's outline sits where the field is, as a share of the photo.
    await page.goto(`${s.base}/models/vgg19/block1_conv2/${shown!.unit}/#top-0`);
    const [img, box] = await Promise.all([page.locator('#top-0 img').boundingBox(), page.locator('#top-0 .field').boundingBox()]);
    const e0 = UnitJson.parse(read(`vgg19/block1_conv2/${shown!.unit}.json`)).examples!.top[0];
    expect(Math.abs(box!.x - img!.x - (e0.field!.left / 224) * img!.width)).toBeLessThan(1.5);
    expect(Math.abs(box!.width - (e0.field!.width / 224) * img!.width)).toBeLessThan(1.5);
    // Esc closes the viewer.
    await page.keyboard.press('Escape');
    await expect(page.locator('#top-0').isVisible()).resolves.toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the full-image viewer and the layer facts take the input size from model.json, and the published image has it', async () => {
    const m = ModelJson.parse(read('vgg19/model.json'));
    const unit = UnitJson.parse(read('vgg19/block2_conv1/5.json'));
    const e = unit.examples!.top[0];
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/block2_conv1/5/`);
    const img = page.locator(`.lightbox img[src="/atlas/${e.full}"]`).first();
    await expect(img.getAttribute('width')).resolves.toBe(String(m.inputSize));
    await expect(img.getAttribute('alt')).resolves.toContain(`network input ${m.inputSize} × ${m.inputSize}`);
    // The file itself: decoded outside the (hidden, lazy) viewer.
    const natural = await page.evaluate(async (src) => {
      const im = new Image();
      im.src = src;
      await im.decode();
      return [im.naturalWidth, im.naturalHeight];
    }, `/atlas/${e.full}`);
    expect(natural).toEqual([m.inputSize, m.inputSize]);
    await page.goto(`${s.base}/models/vgg19/block2_conv1/`);
    await expect(page.locator('dl.facts').first().textContent()).resolves.toContain(`(${m.inputSize} px input)`);
    expect(errors).toEqual([]);
    await page.close();
  });
});
