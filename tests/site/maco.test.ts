// MACO on the site (the CI profile renders its featured unit with MACO beside Lucid's full recipe): the unit
// page shows both side by side, each labelled with its recipe and settings, and the MACO image's importance
// map becomes its transparency when its checkbox is ticked, with CSS alone (it works without JavaScript).
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Manifest, UnitJson } from '../../generator/pipeline/schema.ts';
import { ARTIFACTS } from './helpers/paths.ts';
import { useSession } from './helpers/session.ts';

const s = useSession();
const dist = inject('siteDist');
const read = (rel: string) => JSON.parse(readFileSync(path.join(dist, 'data', rel), 'utf8')) as unknown;
const asset = (file: string) => `/atlas/${file}`;
// The CI profile's featured units, the first with a MACO visualization.
const featured = Manifest.parse(read('manifest.json')).featured.map((id) => {
  const [model, layer, unit] = id.split('/');
  return UnitJson.parse(read(`${model}/${layer}/${unit}.json`));
});
const u = featured.find((x) => Object.keys(x.maco).length > 0)!;

describe('MACO visualizations', () => {
  it('are in the CI data: a featured unit with MACO and full-recipe images, each MACO image with its importance map', () => {
    expect(u).toBeDefined();
    const [objective, e] = Object.entries(u.maco)[0];
    expect(u.fv[objective]).toBeDefined();
    expect(e.recipe).toBe('maco');
    expect(e.settings.param).toBe('maco');
    expect(e.settings.maco).toBeDefined();
    expect(e.images.every((im) => typeof im.importance === 'string')).toBe(true);
  });

  it('shows the full-recipe and the MACO image side by side, and the importance map as transparency when ticked', async () => {
    const [objective, e] = Object.entries(u.maco)[0];
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/${u.model}/${u.layer}/${u.unit}/`, { waitUntil: 'networkidle' });
    const fv = page.locator(`section[aria-labelledby="fv-${objective}"]`);
    const recipes = await fv.locator('.fv-recipe').evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.recipe));
    expect(recipes[0]).toBe('full');
    expect(recipes).toContain('maco');
    const maco = fv.locator('.fv-recipe[data-recipe="maco"]');
    const head = (await maco.locator('.recipe-head').textContent())!.replace(/\s+/g, ' ');
    expect(head).toContain('MACO');
    expect(head).toContain(`${e.settings.size} px, ${e.settings.steps} steps`);
    expect(head).toContain(`${e.settings.maco!.crops} crops`);
    const img = maco.locator('figure img').first();
    await expect(img.getAttribute('src')).resolves.toBe(asset(e.images[0].file));
    // Beside, not below: the two recipes' columns start on the same row, the MACO image right of the full one.
    const col = async (r: string) => (await fv.locator(`.fv-recipe[data-recipe="${r}"]`).boundingBox())!;
    expect(Math.abs((await col('maco')).y - (await col('full')).y)).toBeLessThan(2);
    const full = (await fv.locator('.fv-recipe[data-recipe="full"] img').first().boundingBox())!;
    const box = (await img.boundingBox())!;
    expect(box.x).toBeGreaterThan(full.x + full.width);
    expect(box.width).toBe(full.width);
    // The map is published and decodes.
    const res = await page.request.get(`${s.base}${asset(e.images[0].importance!)}`);
    expect(res.status()).toBe(200);
    const mask = () => img.evaluate((el) => getComputedStyle(el).maskImage);
    expect(await mask()).toBe('none');
    mkdirSync(ARTIFACTS, { recursive: true });
    await fv.screenshot({ path: path.join(ARTIFACTS, 'maco-off.png') });
    await maco.locator('.importance-toggle').first().check();
    expect(await mask()).toContain(asset(e.images[0].importance!));
    await fv.screenshot({ path: path.join(ARTIFACTS, 'maco-importance.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('toggles the transparency without JavaScript', async () => {
    const ctx = await s.browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${s.base}/models/${u.model}/${u.layer}/${u.unit}/`);
    const img = page.locator('.fv-recipe[data-recipe="maco"] figure img').first();
    await page.locator('.fv-recipe[data-recipe="maco"] .importance-toggle').first().check();
    expect(await img.evaluate((el) => getComputedStyle(el).maskImage)).toContain('importance');
    await ctx.close();
  });
});
