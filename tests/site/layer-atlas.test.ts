// A layer atlas on the site (the CI profile renders every unit of block1_conv2 with the grid recipe, and
// three of them, circuit inputs, also with the full one): the layer page's facts and legend count the
// recipes, its toggle swaps every tile to the top dataset crop and back without fetching a crop before it
// is shown, unit pages show the grid image (beside the full one when there are both), and the page's
// weight (HTML + the images loaded while scrolling through it) stays small.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { LayerJson, ModelJson, UnitJson } from '../../generator/pipeline/schema.ts';
import { ARTIFACTS } from './helpers/paths.ts';
import { useSession } from './helpers/session.ts';

const s = useSession();
const dist = inject('siteDist');
const read = (rel: string) => JSON.parse(readFileSync(path.join(dist, 'data', rel), 'utf8')) as unknown;
const LAYER = 'block1_conv2';
const PAGE = `/models/vgg19/${LAYER}/`;
const layer = LayerJson.parse(read(`vgg19/${LAYER}.json`));
const info = ModelJson.parse(read('vgg19/model.json')).layers.find((l) => l.name === LAYER)!;
const asset = (file: string) => `/atlas/${file}`;

/** The src of the picture each tile displays (the one of its two that is rendered), in grid order. */
function shownPictures(page: Page): Promise<string[]> {
  return page.$$eval('#units > li', (lis) =>
    lis.map((li) => {
      const img = Array.from(li.querySelectorAll<HTMLImageElement>('a img')).find((i) => i.checkVisibility());
      return img ? new URL(img.src).pathname : '(none)';
    }),
  );
}

/** Scrolls to the bottom in steps (lazy images load as they come near the viewport), then waits for the network. */
async function scrollThrough(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += 400) {
      window.scrollTo(0, y);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  await page.waitForLoadState('networkidle');
}

describe('layer atlas (grid recipe)', () => {
  it('is a layer atlas in the CI data: every unit has a grid image, some a full one too', () => {
    expect(layer.units.length).toBe(64);
    expect(layer.units.every((u) => u.grid.includes('channel'))).toBe(true);
    expect(layer.units.some((u) => u.fv.length > 0)).toBe(true);
    expect(info.generated.grid).toBe(64);
  });

  it('counts the recipes in the facts and the legend, and badges each tile', async () => {
    const { page, errors } = await s.page();
    await page.goto(`${s.base}${PAGE}`);
    const facts = (await page.locator('[data-facts-units]').textContent())!.replace(/\s+/g, ' ');
    expect(facts).toContain(`${info.generated.grid} with a grid-recipe visualization, ${info.generated.fv} with a full-recipe visualization`);
    const full = layer.units.filter((u) => u.thumbnail?.kind === 'fv' && u.thumbnail.recipe === 'full').length;
    const grid = layer.units.filter((u) => u.thumbnail?.kind === 'fv' && u.thumbnail.recipe === 'grid').length;
    expect(full + grid).toBe(64);
    const legend = (await page.locator('#legend').textContent())!.replace(/\s+/g, ' ');
    expect(legend).toContain(`${grid} grid-recipe visualizations`);
    expect(legend).toContain(`${full} full-recipe visualization`);
    // Each tile's badge says its recipe, as its thumbnail does.
    const badges = await page.locator('#units > li .pic .badge.recipe').allTextContents();
    expect(badges).toEqual(layer.units.map((u) => u.thumbnail!.recipe));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('swaps every tile to its top dataset crop and back, fetching no crop before it is shown', async () => {
    const { page, errors } = await s.page();
    const crops = new Set(layer.units.map((u) => u.crop && asset(u.crop)).filter(Boolean));
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(`${s.base}${PAGE}`, { waitUntil: 'networkidle' });
    const thumbs = layer.units.map((u) => asset(u.thumbnail!.file));
    await expect(shownPictures(page)).resolves.toEqual(thumbs);
    // The crops are in the page but not displayed, and lazy: none is fetched yet (nor a hover strip's).
    expect(fetched.filter((p) => crops.has(p))).toEqual([]);

    const toggle = page.locator('#crop-toggle');
    await expect(toggle.textContent()).resolves.toContain('show dataset crops instead');
    await toggle.click();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(shownPictures(page)).resolves.toEqual(layer.units.map((u) => (u.crop ? asset(u.crop) : '(none)')));
    await expect(page.locator('#crop-legend').isVisible()).resolves.toBe(true);
    await expect(page.locator('#legend').isVisible()).resolves.toBe(false);
    await page.waitForLoadState('networkidle');
    // Now fetched, lazily (as they come near the viewport: at 64 tiles all of them at once), and decoded.
    expect(fetched.filter((p) => crops.has(p)).length).toBeGreaterThan(0);
    await scrollThrough(page);
    expect(new Set(fetched.filter((p) => crops.has(p))).size).toBe(crops.size);
    expect(await page.$$eval('#units .pic-crop img', (imgs) => imgs.filter((i) => !(i as HTMLImageElement).complete || !((i as HTMLImageElement).naturalWidth > 0)).length)).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'layer-crops.png'), fullPage: true });

    await toggle.click();
    await expect(toggle.getAttribute('aria-pressed')).resolves.toBe('false');
    await expect(toggle.textContent()).resolves.toContain('show dataset crops instead');
    await expect(shownPictures(page)).resolves.toEqual(thumbs);
    await expect(page.locator('#legend').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'layer-grid.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('has no toggle without JS (every tile shows its visualization)', async () => {
    const context = await s.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${s.base}${PAGE}`);
    await expect(page.locator('#crop-toggle').isVisible()).resolves.toBe(false);
    await expect(shownPictures(page)).resolves.toEqual(layer.units.map((u) => asset(u.thumbnail!.file)));
    await context.close();
  });

  it('shows the grid image on the page of a unit that has only that one', async () => {
    const lu = layer.units.find((u) => u.fv.length === 0 && u.grid.includes('channel'))!;
    const u = UnitJson.parse(read(`vgg19/${LAYER}/${lu.unit}.json`));
    const e = u.grid.channel;
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/${LAYER}/${lu.unit}/`);
    const fv = page.locator('section[aria-labelledby="fv-channel"]');
    await expect(fv.locator('.fv-recipe').count()).resolves.toBe(1);
    const recipe = fv.locator('.fv-recipe[data-recipe="grid"]');
    await expect(recipe.locator('img').getAttribute('src')).resolves.toBe(asset(e.images[0].file));
    await expect(recipe.locator('img').evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).resolves.toBe(e.settings.size);
    const head = (await recipe.locator('.recipe-head').textContent())!.replace(/\s+/g, ' ');
    expect(head).toContain('grid recipe');
    // The grid recipe optimizes the post-ReLU channel mean (its settings say relu), and the page says so where it says what was optimized.
    expect(e.settings.relu).toBe(true);
    expect(head).toContain(`${e.settings.size} px, ${e.settings.steps} steps, lr ${e.settings.lr} ${e.settings.schedule}, post-ReLU, transforms ${e.settings.transforms}`);
    await expect(recipe.locator('.reached').textContent()).resolves.toMatch(/Reached post-ReLU mean [\d,.]+ in \d+ steps/);
    await expect(fv.locator('p').first().textContent()).resolves.toContain('Maximizes the channel’s post-ReLU mean over all positions.');
    await expect(page.locator('#fv ~ *').first().textContent()).resolves.not.toContain('No feature visualization');
    await expect(page.locator('.actions a[href="#fv"]').count()).resolves.toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says once, above the circuit lists, which input layer has no pictures in this atlas', async () => {
    const { page, errors } = await s.page();
    // block1_conv2's inputs are block1_conv1's units, which the CI atlas does not hold: "n/a" boxes and the note.
    await page.goto(`${s.base}/models/vgg19/${LAYER}/${layer.units[0].unit}/`);
    await expect(page.locator('[data-unpictured]').getAttribute('data-unpictured')).resolves.toBe('block1_conv1');
    await expect(page.locator('[data-unpictured]').textContent()).resolves.toMatch(/block1_conv1\s+is not in this atlas, so its units\s+show “n\/a” instead of a picture/);
    await expect(page.locator('.conns .noimg').count()).resolves.toBeGreaterThan(0);
    // block2_conv1's inputs are this layer atlas's units: pictures, no note.
    await page.goto(`${s.base}/models/vgg19/block2_conv1/5/`);
    await expect(page.locator('.conns img').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('[data-unpictured]').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says how each recipe\'s channel images compare with the top dataset example, on the layer page and a unit page', async () => {
    // Recomputed here from the images' and the examples' own numbers, not read from the generator's summary.
    const units = layer.units.map((lu) => UnitJson.parse(read(`vgg19/${LAYER}/${lu.unit}.json`)));
    const ratios = (recipe: 'full' | 'grid') =>
      units.flatMap((u) => {
        const e = recipe === 'full' ? u.fv.channel : u.grid.channel;
        const top = u.examples?.top[0]?.activation ?? 0;
        return e && top > 0 ? [e.activation.max / top] : [];
      });
    const { page, errors } = await s.page();
    await page.goto(`${s.base}${PAGE}`);
    const text = (await page.locator('[data-facts-versus]').textContent())!.replace(/\s+/g, ' ');
    for (const recipe of ['grid', 'full'] as const) {
      const r = ratios(recipe).sort((a, b) => a - b);
      expect(r.length).toBeGreaterThan(0);
      const spread = r.length === 1 ? `${r[0].toFixed(2)}×)` : `${r[0].toFixed(2)}×–${r[r.length - 1].toFixed(2)}×, median`;
      expect(text).toContain(`${recipe} recipe: ${r.filter((x) => x > 1).length} of ${r.length} ${r.length === 1 ? 'unit' : 'units'} (${spread}`);
    }
    const u = units.find((x) => x.grid.channel && (x.examples?.top[0]?.activation ?? 0) > 0)!;
    await page.goto(`${s.base}/models/vgg19/${LAYER}/${u.unit}/`);
    const said = (await page.locator('.fv-recipe[data-recipe="grid"] [data-versus-dataset]').textContent())!.replace(/\s+/g, ' ');
    const ratio = u.grid.channel.activation.max / u.examples!.top[0].activation;
    expect(said).toMatch(new RegExp(`^Its max is ${ratio.toFixed(2)}× the top dataset example’s [\\d,.]+$`));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the full and the grid image side by side for a unit with both', async () => {
    const lu = layer.units.find((x) => x.fv.includes('channel') && x.grid.includes('channel'))!;
    const u = UnitJson.parse(read(`vgg19/${LAYER}/${lu.unit}.json`));
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/${LAYER}/${lu.unit}/`, { waitUntil: 'networkidle' });
    const fv = page.locator('section[aria-labelledby="fv-channel"]');
    await expect(fv.locator('.fv-recipe').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.recipe))).resolves.toEqual(['full', 'grid']);
    const boxes = [];
    for (const [recipe, e] of [['full', u.fv.channel], ['grid', u.grid.channel]] as const) {
      const r = fv.locator(`.fv-recipe[data-recipe="${recipe}"]`);
      await expect(r.locator('img').getAttribute('src')).resolves.toBe(asset(e.images[0].file));
      const head = (await r.locator('.recipe-head').textContent())!.replace(/\s+/g, ' ');
      expect(head).toContain(`${recipe} recipe`);
      expect(head).toContain(`${e.settings.size} px, ${e.settings.steps} steps, lr ${e.settings.lr} ${e.settings.schedule}`);
      boxes.push((await r.locator('img').boundingBox())!);
    }
    // Beside, not below: same row, the grid one to the right, at the same display size.
    expect(Math.abs(boxes[0].y - boxes[1].y)).toBeLessThan(2);
    expect(boxes[1].x).toBeGreaterThan(boxes[0].x + boxes[0].width);
    expect(boxes[1].width).toBe(boxes[0].width);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'unit-both.png'), fullPage: true });
    await page.locator('.fv').screenshot({ path: path.join(ARTIFACTS, 'unit-both-fv.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('weighs little: HTML + the images loaded while scrolling through the layer page', async () => {
    const { page, errors } = await s.page();
    const loaded = new Map<string, { type: string; bytes: number }>();
    page.on('response', async (r) => {
      const type = r.request().resourceType();
      if (type !== 'document' && type !== 'image') return;
      const body = await r.body().catch(() => Buffer.alloc(0));
      loaded.set(new URL(r.url()).pathname, { type, bytes: body.length });
    });
    await page.goto(`${s.base}${PAGE}`, { waitUntil: 'networkidle' });
    await scrollThrough(page);
    const sum = (type: string) => [...loaded.values()].filter((x) => x.type === type).reduce((a, x) => a + x.bytes, 0);
    const images = [...loaded.entries()].filter(([, x]) => x.type === 'image');
    const html = sum('document');
    const img = sum('image');
    const n = layer.units.length;
    console.log(
      `layer page ${PAGE} (${n} units): HTML ${(html / 1024).toFixed(1)} KB + ${images.length} images ${(img / 1024).toFixed(1)} KB = ${((html + img) / 1024).toFixed(1)} KB (${((html + img) / n / 1024).toFixed(2)} KB per unit)`,
    );
    // One small WebP per tile: no full-size PNG, no hover-strip or toggle crop until asked for.
    expect(images.map(([p]) => p).sort()).toEqual(layer.units.map((u) => asset(u.thumbnail!.file)).sort());
    // The bound: 4 KB of HTML and 4 KB of picture per unit (the CI thumbnails are ~1 KB, a 64 px grid
    // one ~3 KB), i.e. ~2 MB for a 256-unit layer.
    expect(html / n).toBeLessThan(4096);
    expect(img / n).toBeLessThan(4096);
    expect(errors).toEqual([]);
    await page.close();
  });
});
