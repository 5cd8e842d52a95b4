// Several models in one atlas (VGG19 and SqueezeNet 1.1 in generated-ci): the home page lists each with
// its profile, the model page shows SqueezeNet's accuracy as model.json has it, the SqueezeNet unit and
// circuit pages work through its fire modules' concatenations (inputs named by branch). Every expected
// value is read from the published JSON, never typed in. Screenshots at 1400 px go to test-artifacts/site/.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { CircuitJson, Manifest, ModelJson, UnitJson } from '../../generator/pipeline/schema.ts';
import { ARTIFACTS } from './helpers/paths.ts';
import { undecodedImages, useSession } from './helpers/session.ts';

const s = useSession();
const dist = inject('siteDist');
const json = (rel: string): unknown => JSON.parse(readFileSync(path.join(dist, 'data', rel), 'utf8'));
const manifest = Manifest.parse(json('manifest.json'));
const SQUEEZE = 'squeezenet1.1';
const squeeze = ModelJson.parse(json(`${SQUEEZE}/model.json`));
const unit = UnitJson.parse(json(`${SQUEEZE}/fire4_squeeze1x1/5.json`));
const circuit = CircuitJson.parse(json('circuits/fire4_squeeze1x1-5.json'));

// The circuit island's test hook (CircuitGraph.svelte), typed locally: circuit.test.ts declares it on
// Window with more members, and two global declarations must agree.
interface Hook {
  ready: boolean;
  cy: { nodes: (selector?: string) => { length: number }; edges: () => { length: number }; $id: (id: string) => { renderedPosition: () => { x: number; y: number } } };
}
type WithHook = { __atlasCircuit?: Hook };

/** A page at the width the layouts aim at (the session's pages are 1280 px). */
async function widePage(): Promise<{ page: Page; errors: string[] }> {
  const page = await s.browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return { page, errors };
}

/** A full-page screenshot, after every image (lazy ones too) has loaded, so none is an empty box. */
async function shot(page: Page, name: string): Promise<void> {
  expect(await undecodedImages(page)).toEqual([]);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

const squash = (t: string | null) => (t ?? '').replace(/\s+/g, ' ').trim();

describe('several models', () => {
  it('the CI atlas holds both models (so the rest of this file tests something)', () => {
    expect(manifest.models).toEqual(expect.arrayContaining(['vgg19', SQUEEZE]));
    expect(manifest.circuits.find((c) => c.id === circuit.id)?.model).toBe(SQUEEZE);
  });

  it('the home page lists every model with its profile, layers, featured units and circuits', async () => {
    const { page, errors } = await widePage();
    await page.goto(`${s.base}/`);
    // Model-neutral: the title names no one model when there are several.
    await expect(page.title()).resolves.not.toMatch(/VGG19/);
    for (const id of manifest.models) {
      const m = ModelJson.parse(json(`${id}/model.json`));
      const entry = page.locator(`section.model-entry[data-model="${id}"]`);
      await expect(entry.count()).resolves.toBe(1);
      await expect(entry.locator(`h3 a[href="/models/${id}/"]`).textContent()).resolves.toBe(m.name);
      await expect(entry.locator('[data-profile]').textContent()).resolves.toBe(manifest.descriptions?.[id]);
      for (const l of m.layers.filter((x) => x.generated.units > 0)) await expect(entry.locator(`a[href="/models/${id}/${l.name}/"]`).count()).resolves.toBe(1);
      for (const f of manifest.featured.filter((x) => x.split('/')[0] === id)) await expect(entry.locator(`a[href="/models/${f}/"]`).count()).resolves.toBeGreaterThan(0);
      for (const c of manifest.circuits.filter((x) => x.model === id)) await expect(entry.locator(`a[href="/circuits/${c.id}/"]`).count()).resolves.toBeGreaterThan(0);
    }
    expect(await undecodedImages(page)).toEqual([]);
    await shot(page, 'models-home.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the SqueezeNet model page shows its accuracy from model.json and every layer with its kind', async () => {
    const acc = squeeze.classification.accuracy;
    expect(acc, 'the CI profile measures SqueezeNet top-1/top-5').toBeDefined();
    const { page, errors } = await widePage();
    await page.goto(`${s.base}/models/${SQUEEZE}/`);
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    await expect(page.locator('[data-accuracy]').textContent().then(squash)).resolves.toContain(
      `top-1 ${pct(acc!.top1)}, top-5 ${pct(acc!.top5)} on ${acc!.images} images of ${acc!.dataset}`,
    );
    await expect(page.locator('#check + p').textContent()).resolves.toContain(`like ${squeeze.name} should`);
    const rows = page.locator('#layers ~ .scroll tbody tr');
    await expect(rows.count()).resolves.toBe(squeeze.layers.length);
    for (const l of squeeze.layers) {
      const row = page.locator(`tr[data-layer="${l.name}"]`);
      await expect(row.locator('td:nth-child(2)').textContent()).resolves.toBe(l.kind);
      // Layers with generated units link to their atlas; the others are listed without a link.
      await expect(row.locator('a').count()).resolves.toBe(l.generated.units > 0 ? 1 : 0);
      if (l.rf) await expect(row.textContent()).resolves.toContain(`${l.rf.size} px / ${l.rf.stride}`);
    }
    expect(new Set(squeeze.layers.map((l) => l.kind))).toEqual(new Set(['conv', 'pool', 'concat', 'logits']));
    await shot(page, 'models-squeezenet.png');
    // VGG19's CI weights have no classifier head: its page says why, and shows no accuracy.
    await page.goto(`${s.base}/models/vgg19/`);
    await expect(page.locator('[data-accuracy]').count()).resolves.toBe(0);
    const vgg = ModelJson.parse(json('vgg19/model.json'));
    const missing = vgg.classification.missing!;
    expect(missing.length).toBeGreaterThan(0);
    expect(missing).not.toContain('block1_conv1');
    const says = squash((await page.locator('[data-check-missing] p').textContent()) ?? '');
    expect(says).toContain(`Not run: the weights this atlas was made from (${vgg.classification.weights}) end before the classifier`);
    expect(says).toContain(`needs ${missing.length} more layers, ${missing[0]} to ${missing[missing.length - 1]}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the unit page of fire4_squeeze1x1/5 shows its visualization, examples and inputs by branch', async () => {
    const { page, errors } = await widePage();
    await page.goto(`${s.base}/models/${SQUEEZE}/fire4_squeeze1x1/5/`);
    await expect(page.title()).resolves.toContain(squeeze.name);
    for (const o of Object.keys(unit.fv)) await expect(page.locator(`#fv-${o}`).count()).resolves.toBe(1);
    const fvImg = page.locator(`section[aria-labelledby="fv-channel"] img[src="/atlas/${unit.fv.channel.images[0].file}"]`);
    await expect(fvImg.count()).resolves.toBeGreaterThan(0);
    // The top dataset examples: each one's crop, in the data's order.
    const crops = await page.locator('#top .examples figure img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src')));
    expect(crops).toEqual(unit.examples!.top.map((e) => `/atlas/${e.crop}`));
    expect(crops.length).toBeGreaterThan(0);
    // The inputs come through fire3_concat and are named by the branch they are in.
    const c = unit.circuit!;
    const conns = [...c.inputs, ...c.excitatory, ...c.inhibitory];
    const branches = [...new Set(conns.map((x) => x.layer))].sort();
    expect(branches).toEqual(['fire3_expand1x1', 'fire3_expand3x3']);
    const circuitText = squash(await page.locator('#circuit + div').textContent());
    for (const b of branches) expect(circuitText).toContain(b);
    for (const x of conns) expect(circuitText).toContain(`${x.layer} ${x.unit}`);
    // An input with a page links to /models/squeezenet1.1/<layer>/<unit>/; one without is named, unlinked.
    const hasPage = (l: string) => squeeze.layers.some((y) => y.name === l && y.generated.units > 0);
    for (const x of conns) {
      const links = await page.locator(`#circuit + div a[href="/models/${SQUEEZE}/${x.layer}/${x.unit}/"]`).count();
      if (hasPage(x.layer)) expect(links, `${x.layer} ${x.unit}`).toBeGreaterThan(0);
      else expect(links, `${x.layer} ${x.unit}`).toBe(0);
    }
    await expect(page.locator(`a[href="/circuits/${circuit.id}/"]`).count()).resolves.toBeGreaterThan(0);
    expect(await undecodedImages(page)).toEqual([]);
    await shot(page, 'models-squeezenet-unit.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the circuit page of fire4_squeeze1x1-5 renders its graph and names its model', async () => {
    const { page, errors } = await widePage();
    await page.goto(`${s.base}/circuits/${circuit.id}/`);
    await page.waitForFunction(() => (window as unknown as WithHook).__atlasCircuit?.ready === true);
    await expect(page.locator('.graphwrap canvas').count()).resolves.toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as unknown as WithHook).__atlasCircuit!.cy.nodes('.unit').length)).toBe(circuit.nodes.length);
    expect(await page.evaluate(() => (window as unknown as WithHook).__atlasCircuit!.cy.edges().length)).toBe(circuit.edges.length);
    await expect(page.locator(`.kicker a[href="/models/${SQUEEZE}/"]`).textContent()).resolves.toBe(squeeze.name);
    // Its kernels are SqueezeNet's 1×1 (squeeze) and 3×3 (expand) ones, as the edges have them: the page says so.
    const sizes = [...new Set(circuit.edges.map((e) => `${e.kernel.length}×${e.kernel[0].length}`))];
    expect(sizes).toContain('1×1');
    for (const k of sizes) await expect(page.locator('.lede').textContent()).resolves.toContain(k);
    expect(await undecodedImages(page)).toEqual([]);
    await shot(page, 'models-squeezenet-circuit.png');
    // Clicking an input node opens its SqueezeNet unit page.
    const target = circuit.nodes.find((n) => n.depth === 1)!;
    const box = (await page.locator('.graphwrap .graph').boundingBox())!;
    const p = await page.evaluate((i) => (window as unknown as WithHook).__atlasCircuit!.cy.$id(i).renderedPosition(), target.id);
    await page.mouse.click(box.x + p.x, box.y + p.y);
    await page.waitForURL(`${s.base}/models/${SQUEEZE}/${target.layer}/${target.unit}/`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a class page (a logits unit) shows what drives the class, by attribution over its dataset images and by weight, as unit.json has it', async () => {
    // The first class the CI dataset has an image of (its 40 images are the first 40 classes).
    const cls = UnitJson.parse(json(`${SQUEEZE}/logits/0.json`));
    const d = cls.drivers;
    expect(d, 'the model stage attributes every class').toBeDefined();
    expect(d!.head).toBe('conv10');
    const a = d!.attribution!;
    expect(a.images.length).toBeGreaterThan(0);
    const { page, errors } = await widePage();
    await page.goto(`${s.base}/models/${SQUEEZE}/logits/0/`);
    const section = page.locator('section[data-drivers]');
    await expect(page.locator('h1 [data-class-label]').textContent()).resolves.toBe(d!.class.label.replaceAll('_', ' '));
    await expect(page.locator('#drivers').count()).resolves.toBe(1);
    await expect(section.locator('[data-driver-images]').textContent()).resolves.toBe(String(a.images.length));
    const lists: Array<[string, Array<{ layer: string; unit: number }>, number[]]> = [
      ['attr-ex', a.excitatory, a.excitatory.map((c) => c.attribution)],
      ['attr-in', a.inhibitory, a.inhibitory.map((c) => c.attribution)],
      ['w-ex', d!.weight.excitatory, d!.weight.excitatory.map((c) => c.weight)],
      ['w-in', d!.weight.inhibitory, d!.weight.inhibitory.map((c) => c.weight)],
    ];
    for (const [id, rows, values] of lists) {
      expect(rows.length, id).toBeGreaterThan(0);
      const list = section.locator(`[data-driver-list="${id}"]`);
      await expect(list.locator('li').count()).resolves.toBe(rows.length);
      const shown = await list.locator('[data-value]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
      expect(shown).toEqual(values);
      const text = squash(await list.textContent());
      for (const r of rows) expect(text).toContain(`${r.layer} ${r.unit}`);
    }
    // The mean logit the page states is the data's (to the 4 significant digits it prints).
    const logit = Number(await section.locator('[data-driver-logit]').textContent());
    expect(Math.abs(logit - a.logit)).toBeLessThanOrEqual(Math.abs(a.logit) * 1e-3);
    // Its map's circuit is one click away when the head's layer has pages, named otherwise.
    const mapPage = squeeze.layers.some((l) => l.name === d!.head && l.generated.units > 0);
    await expect(page.locator(`#circuit + p a[href="/models/${SQUEEZE}/${d!.head}/0/"]`).count()).resolves.toBe(mapPage ? 1 : 0);
    await expect(page.locator('#circuit + p').textContent()).resolves.toContain(`${d!.head} unit 0`);
    expect(await undecodedImages(page)).toEqual([]);
    await shot(page, 'models-squeezenet-class.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the circuits index names each circuit's model", async () => {
    const { page, errors } = await widePage();
    await page.goto(`${s.base}/circuits/`);
    for (const c of manifest.circuits) {
      const group = page.locator(`section[data-model="${c.model}"]`);
      await expect(group.locator(`a[href="/circuits/${c.id}/"]`).count()).resolves.toBeGreaterThan(0);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
