// Browsing the atlas: home -> model -> layer -> unit -> an input unit -> back; the layer filter; the
// full-image viewer; no console errors and no undecodable image on the main pages, none wider than a
// phone; the search page's ranking.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS } from './helpers/paths.ts';
import { undecodedImages, useSession } from './helpers/session.ts';

const s = useSession();

/** The main pages of the CI site, one of each kind. */
const MAIN_PAGES = ['/', '/models/vgg19/', '/models/vgg19/block1_conv2/', '/models/vgg19/block2_conv1/', '/models/vgg19/block1_conv2/12/', '/circuits/', '/circuits/block2_conv1-5/', '/writeups/', '/writeups/block2-conv1-5/', '/data/', '/search/?q=eagle'];

describe('navigation', () => {
  it('home -> model -> layer -> unit -> input unit -> back', async () => {
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/`);
    await expect(page.locator('h1').textContent()).resolves.toContain('circuit');
    await page.locator('main a[href="/models/vgg19/"]').first().click();
    await page.waitForURL(`${s.base}/models/vgg19/`);
    await expect(page.locator('#check').count()).resolves.toBe(1);

    await page.locator('table a[href="/models/vgg19/block2_conv1/"]').click();
    await page.waitForURL(`${s.base}/models/vgg19/block2_conv1/`);
    await expect(page.locator('#units > li').count()).resolves.toBe(128);

    await page.locator('#units a[href="/models/vgg19/block2_conv1/5/"]').click();
    await page.waitForURL(`${s.base}/models/vgg19/block2_conv1/5/`);
    await expect(page.locator('h1').textContent()).resolves.toContain('Unit 5');
    // Feature visualizations of every generated objective, the curve, the histogram, kernels.
    for (const o of ['channel', 'negative', 'diversity']) await expect(page.locator(`#fv-${o}`).count()).resolves.toBe(1);
    await expect(page.locator('svg.chart').count()).resolves.toBeGreaterThanOrEqual(4);
    await expect(page.locator('#circuit ~ * svg.kernel, #circuit + * svg.kernel').count()).resolves.toBeGreaterThan(30);
    await expect(page.locator('a[href="/circuits/block2_conv1-5/"]').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('a[href="/data/vgg19/block2_conv1/5.json"]').count()).resolves.toBe(1);
    expect(await undecodedImages(page)).toEqual([]);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'unit.png'), fullPage: true });

    // The strongest input is a block1_conv2 unit, which has a page.
    const input = page.locator('section[aria-labelledby="inputs-h"] li a[href^="/models/vgg19/block1_conv2/"]:not([tabindex])').first();
    const href = await input.getAttribute('href');
    expect(href).toMatch(/^\/models\/vgg19\/block1_conv2\/\d+\/$/);
    await input.click();
    await page.waitForURL(`${s.base}${href}`);
    // Its own inputs (block1_conv1) were not generated: listed, not linked.
    await expect(page.locator('section[aria-labelledby="inputs-h"] li').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('section[aria-labelledby="inputs-h"] li a').count()).resolves.toBe(0);

    await page.goBack();
    await page.waitForURL(`${s.base}/models/vgg19/block2_conv1/5/`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('filters the layer grid by unit number and class, showing all without a query', async () => {
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/block2_conv1/`);
    const visible = () => page.locator('#units > li:not([hidden])').count();
    await expect(visible()).resolves.toBe(128);
    await page.fill('#unit-filter', '5');
    await expect(visible()).resolves.toBe(1);
    await page.fill('#unit-filter', 'eagle');
    const eagles = await visible();
    expect(eagles).toBeGreaterThan(0);
    expect(eagles).toBeLessThan(128);
    await expect(page.locator('#filter-count').textContent()).resolves.toBe(`${eagles} of 128 units`);
    // A query nothing matches says so, rather than "0 of 128 units" over an empty grid.
    await page.fill('#unit-filter', 'xylophonezz');
    await expect(visible()).resolves.toBe(0);
    await expect(page.locator('#filter-count').textContent()).resolves.toContain('no unit matches “xylophonezz”');
    await page.fill('#unit-filter', '');
    await expect(visible()).resolves.toBe(128);
    // Hovering a unit shows its top crops (CSS only).
    const li = page.locator('#units > li').nth(3);
    await li.hover();
    await expect(li.locator('.pop').isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens the full image of a dataset example without JS', async () => {
    const context = await s.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${s.base}/models/vgg19/block2_conv1/5/`);
    await expect(page.locator('#top-0').isVisible()).resolves.toBe(false);
    await page.locator('a[href="#top-0"]').click();
    await expect(page.locator('#top-0').isVisible()).resolves.toBe(true);
    await expect(page.locator('#top-0 img').evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).resolves.toBe(224);
    // Without JS the layer grid shows every unit and hides the filter.
    await page.goto(`${s.base}/models/vgg19/block2_conv1/`);
    await expect(page.locator('#units > li:not([hidden])').count()).resolves.toBe(128);
    await expect(page.locator('#filter').isVisible()).resolves.toBe(false);
    await context.close();
  });

  it('has no console errors and only decodable images on the main pages', async () => {
    const { page, errors } = await s.page();
    for (const p of MAIN_PAGES) {
      const res = await page.goto(`${s.base}${p}`, { waitUntil: 'networkidle' });
      expect(res?.status(), p).toBe(200);
      expect(await undecodedImages(page), p).toEqual([]);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone: no main page scrolls sideways at 390 px, and tables scroll in their box rather than break names', async () => {
    const page = await s.browser.newPage({ viewport: { width: 390, height: 844 } });
    const wide: string[] = [];
    const broken: string[] = [];
    for (const p of [...MAIN_PAGES, '/models/vgg19/block2_conv1/5/']) {
      await page.goto(`${s.base}${p}`, { waitUntil: 'networkidle' });
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      if (w > 390) wide.push(`${p}: ${w} px`);
      // A layer name or a data URL in a table cell stays on one line (it broke into 3-letter pieces).
      const pieces = await page.locator('.scroll td code').evaluateAll((els) => els.filter((e) => e.getClientRects().length > 1).map((e) => e.textContent));
      broken.push(...pieces.map((t) => `${p}: ${t}`));
    }
    expect(wide).toEqual([]);
    expect(broken).toEqual([]);
    await page.close();
  });

  it('finds units by class and write-ups by title with the search page', async () => {
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/search/?q=eagle`);
    await page.waitForSelector('#results li');
    expect(await page.locator('#results li a[href^="/models/vgg19/"]').count()).toBeGreaterThan(0);
    await page.goto(`${s.base}/search/?q=reading%20a%20circuit`);
    await page.waitForSelector('#results li');
    await expect(page.locator('#results li a').first().getAttribute('href')).resolves.toBe('/writeups/block2-conv1-5/');
    // A layer and a unit number: that unit first, not 50..59, whose numbers begin with it.
    await page.goto(`${s.base}/search/?q=block1_conv2%205`);
    await page.waitForSelector('#results li');
    await expect(page.locator('#results li a').first().getAttribute('href')).resolves.toBe('/models/vgg19/block1_conv2/5/');
    // Typing, without Enter: the results and the address follow the box.
    await page.fill('#q', 'reading a circuit');
    await page.waitForFunction(() => document.querySelector('#results li a')?.getAttribute('href') === '/writeups/block2-conv1-5/');
    await expect(page.locator('#status').textContent()).resolves.toContain('“reading a circuit”');
    expect(new URL(page.url()).searchParams.get('q')).toBe('reading a circuit');
    expect(errors).toEqual([]);
    await page.close();
  });
});
