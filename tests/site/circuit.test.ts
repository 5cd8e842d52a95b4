// The interactive circuit graph: Cytoscape draws the circuit's nodes on a canvas, the controls filter
// them (and the page's lede and lists, and the address), edges into another unit's group show on demand,
// a box's pictures are framed by their edge into the box, hovering an edge shows its kernel on its
// target's scale, hovering a node says what its picture is (recipe included), clicking a node opens its
// unit page.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { selectSubgraph } from '../../generator/circuit/select.ts';
import { CircuitJson, UnitJson } from '../../generator/pipeline/schema.ts';
import { EXCITE, INHIBIT, num } from '../../src/lib/format.ts';
import { ARTIFACTS } from './helpers/paths.ts';
import { useSession } from './helpers/session.ts';

const s = useSession();
const read = (id: string) => CircuitJson.parse(JSON.parse(readFileSync(path.join(inject('siteDist'), 'data', 'circuits', `${id}.json`), 'utf8')));
const data = read('block2_conv1-5');
/** A circuit 2 levels deep (the SqueezeNet CI profile's). */
const deep = read('fire4_squeeze1x1-5');

interface Hook {
  ready: boolean;
  cy: {
    /** The units are the nodes of class "unit" (compound boxes group deeper levels). */
    nodes: (selector?: string) => { length: number };
    edges: (selector?: string) => { length: number };
    $id: (id: string) => {
      renderedPosition: () => { x: number; y: number };
      renderedMidpoint: () => { x: number; y: number };
      renderedWidth: () => number;
      data: (k: string) => string;
    };
  };
}
declare global {
  interface Window {
    __atlasCircuit?: Hook;
  }
}

describe('circuit page', () => {
  it('renders the graph, filters it, shows kernels, and navigates on click', async () => {
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/circuits/block2_conv1-5/`);
    await page.waitForFunction(() => window.__atlasCircuit?.ready === true);
    await expect(page.locator('.graphwrap canvas').count()).resolves.toBeGreaterThan(0);
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.nodes('.unit').length)).toBe(data.nodes.length);
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.edges().length)).toBe(data.edges.length);
    // Fitted, level-1 pictures are legible (the layered layout; a stacked one shrank them to dots).
    const level1 = data.nodes.filter((n) => n.depth === 1).map((n) => n.id);
    for (const w of await page.evaluate((ids) => ids.map((i) => window.__atlasCircuit!.cy.$id(i).renderedWidth()), level1)) expect(w).toBeGreaterThanOrEqual(64);
    // The no-JS lists are there too.
    await expect(page.locator('#edges ~ .scroll tbody tr').count()).resolves.toBe(data.edges.length);

    // Top-k filter: 1 input per unit; the lede, the lists and the address follow.
    await page.selectOption('.graphwrap select >> nth=1', '1');
    const one = selectSubgraph(data, data.depth, 1);
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.nodes('.unit').length)).toBe(one.nodes.length);
    expect(new URL(page.url()).searchParams.get('top')).toBe('1');
    await expect(page.locator('.lede [data-view="inputs"]').textContent()).resolves.toBe('strongest input');
    await expect(page.locator('li[data-node]:visible').count()).resolves.toBe(one.nodes.length);
    await expect(page.locator('tr[data-edge]:visible').count()).resolves.toBe(one.edges.length);
    await expect(page.locator('[data-view="status"]').textContent()).resolves.toContain(`${one.nodes.length} of ${data.nodes.length} nodes, ${one.edges.length} of ${data.edges.length} edges`);
    await page.selectOption('.graphwrap select >> nth=1', String(data.top));
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.nodes('.unit').length)).toBe(data.nodes.length);
    expect(new URL(page.url()).search).toBe('');
    await expect(page.locator('[data-view="status"]').isHidden()).resolves.toBe(true);
    await expect(page.locator('tr[data-edge]:visible').count()).resolves.toBe(data.edges.length);

    const box = (await page.locator('.graphwrap .graph').boundingBox())!;
    const at = (id: string) => page.evaluate((i) => window.__atlasCircuit!.cy.$id(i).renderedPosition(), id);
    // Hover the middle of the strongest edge: the tooltip shows its kernel.
    // (Edges end under their target's label, so the edge's own midpoint, not the nodes'.)
    const e0 = data.edges[0];
    const mid = await page.evaluate((i) => window.__atlasCircuit!.cy.$id(i).renderedMidpoint(), `${e0.source}->${e0.target}`);
    await page.mouse.move(box.x + mid.x, box.y + mid.y);
    await page.waitForSelector('.tip svg rect');
    await expect(page.locator('.tip svg rect').count()).resolves.toBe(9);
    // On its target's scale, as on the target's unit page (and in the edge list).
    const scale = data.nodes.find((n) => n.id === e0.target)!.inputScale!;
    await expect(page.locator('.tip').textContent()).resolves.toContain(`scale ±${num(scale, 3)} (its target’s)`);
    await expect(page.locator('tr[data-edge] svg title').first().textContent()).resolves.toContain(`(scale ±${num(scale, 3)})`);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'circuit.png'), fullPage: true });

    // Hover an input node: the tooltip says what its picture is, with the recipe of a visualization.
    const target = data.nodes.find((n) => n.depth === 1)!;
    const p = await at(target.id);
    await page.mouse.move(box.x + p.x, box.y + p.y);
    await page.waitForFunction(() => document.querySelector('.tip')?.textContent?.includes('picture:') === true);
    const t = target.thumbnail;
    await expect(page.locator('.tip').textContent()).resolves.toContain(t?.kind === 'fv' ? `feature visualization (${t.recipe ?? 'full'} recipe)` : 'top dataset crop');

    // Click it: its unit page opens.
    await page.mouse.click(box.x + p.x, box.y + p.y);
    await page.waitForURL(`${s.base}/models/vgg19/${target.layer}/${target.unit}/`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('at depth 2: edges into another group hidden until asked for or hovered; the view in the address', async () => {
    // SqueezeNet's CI circuit is 2 levels deep and one fire3_squeeze1x1 unit feeds two level-1 units.
    const feeds = new Map<string, number>();
    for (const e of deep.edges) if (e.target !== deep.nodes[0].id) feeds.set(e.source, (feeds.get(e.source) ?? 0) + 1);
    const cross = [...feeds.values()].reduce((a, n) => a + n - 1, 0);
    expect(cross).toBeGreaterThan(0);
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/circuits/${deep.id}/`);
    await page.waitForFunction(() => window.__atlasCircuit?.ready === true);
    const visible = (n: number) => page.waitForFunction((k) => window.__atlasCircuit!.cy.edges(':visible').length === k, n, { timeout: 5000 });
    await visible(deep.edges.length - cross);
    const toggle = page.getByLabel(`edges across groups (${cross})`);
    await toggle.check();
    await visible(deep.edges.length);
    await toggle.uncheck();
    await visible(deep.edges.length - cross);
    // A box member is framed in the colour of its strongest edge into the level above (the one that boxed it).
    const depthOf = new Map(deep.nodes.map((n) => [n.id, n.depth]));
    const members = deep.nodes.filter((n) => n.depth === 2);
    const strongest = (id: string) => deep.edges.filter((e) => e.source === id && depthOf.get(e.target) === 1).sort((a, b) => b.l2 - a.l2)[0]!;
    const frames = await page.evaluate((ids) => ids.map((i) => window.__atlasCircuit!.cy.$id(i).data('frame')), members.map((n) => n.id));
    expect(frames).toEqual(members.map((n) => (strongest(n.id).sign === 'excitatory' ? EXCITE : INHIBIT)));
    const level1 = deep.nodes.filter((n) => n.depth === 1).map((n) => n.id);
    expect(await page.evaluate((ids) => ids.map((i) => window.__atlasCircuit!.cy.$id(i).data('frame') ?? null), level1)).toEqual(level1.map(() => null));
    // Hovering the shared unit shows its edges, the crossing one too, and its tooltip names its box's edge.
    const shared = [...feeds.entries()].find(([, n]) => n > 1)![0];
    const at = await page.evaluate((i) => window.__atlasCircuit!.cy.$id(i).renderedPosition(), shared);
    const box = (await page.locator('.graphwrap .graph').boundingBox())!;
    await page.mouse.move(box.x + at.x, box.y + at.y);
    await visible(deep.edges.length);
    const own = strongest(shared);
    await expect(page.locator('.tip').textContent()).resolves.toContain(`${own.sign === 'excitatory' ? 'excites' : 'inhibits'} ${own.target.replace(':', ' ')} (its box)`);
    await page.mouse.move(box.x + 2, box.y + 2);
    await visible(deep.edges.length - cross);

    // The address keeps a view, and opens it.
    await page.selectOption('.graphwrap select >> nth=0', '1');
    expect(new URL(page.url()).searchParams.get('depth')).toBe('1');
    await page.goto(`${s.base}/circuits/${deep.id}/?depth=1&top=2`);
    await page.waitForFunction(() => window.__atlasCircuit?.ready === true);
    const sub = selectSubgraph(deep, 1, 2);
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.nodes('.unit').length)).toBe(sub.nodes.length);
    await expect(page.locator('.graphwrap select >> nth=0').inputValue()).resolves.toBe('1');
    await expect(page.locator('.graphwrap select >> nth=1').inputValue()).resolves.toBe('2');
    await expect(page.locator('.lede').innerText()).resolves.toMatch(/its 2 strongest inputs by weight \([^)]*\), 1\s+level deep/);
    await expect(page.locator('li[data-node]:visible').count()).resolves.toBe(sub.nodes.length);
    await expect(page.locator('tr[data-edge]:visible').count()).resolves.toBe(sub.edges.length);
    await expect(page.locator('section[data-level="2"]').isHidden()).resolves.toBe(true);
    // Values out of range: the whole circuit, and a clean address.
    await page.goto(`${s.base}/circuits/${deep.id}/?depth=9&top=x`);
    await page.waitForFunction(() => window.__atlasCircuit?.ready === true);
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.nodes('.unit').length)).toBe(deep.nodes.length);
    await expect(page.locator('li[data-node]:visible').count()).resolves.toBe(deep.nodes.length);
    expect(new URL(page.url()).search).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('on a phone, shows the graph at a legible zoom from the root, to be panned, instead of fitting it into dots', async () => {
    const page = await s.browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${s.base}/circuits/${deep.id}/`);
    await page.waitForFunction(() => window.__atlasCircuit?.ready === true);
    await expect(page.locator('.graphwrap .hint').isVisible()).resolves.toBe(true);
    const level1 = deep.nodes.filter((n) => n.depth === 1).map((n) => n.id);
    for (const w of await page.evaluate((ids) => ids.map((i) => window.__atlasCircuit!.cy.$id(i).renderedWidth()), level1)) expect(w).toBeGreaterThanOrEqual(64);
    const box = (await page.locator('.graphwrap .graph').boundingBox())!;
    const root = await page.evaluate((i) => window.__atlasCircuit!.cy.$id(i).renderedPosition(), deep.nodes[0].id);
    expect(root.x).toBeGreaterThan(0.4 * box.width);
    expect(root.x).toBeLessThan(0.6 * box.width);
    expect(root.y).toBeGreaterThan(0);
    expect(root.y).toBeLessThan(box.height / 2);
    expect(box.height).toBeLessThanOrEqual(0.7 * 844 + 1); // room left to scroll the page by
    await page.close();
  });

  it("draws a unit's output kernels on their targets' scales, as the targets' own pages draw them", async () => {
    const unitJson = (layer: string, unit: number) => UnitJson.parse(JSON.parse(readFileSync(path.join(inject('siteDist'), 'data', 'vgg19', layer, `${unit}.json`), 'utf8')));
    const outputs = unitJson('block1_conv2', 12).circuit!.outputs;
    expect(outputs.length).toBeGreaterThan(0);
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/block1_conv2/12/`);
    await expect(page.locator('#out-h ~ p').first().textContent()).resolves.toContain('each on its target unit’s scale');
    const titles = await page.locator('svg.kernel title').evaluateAll((ts) => ts.map((t) => t.textContent ?? ''));
    for (const o of outputs.slice(0, 3)) {
      const target = unitJson(o.layer, o.unit).circuit!;
      expect(o.scale).toBe(target.maxAbs);
      const title = titles.find((t) => t.startsWith(`Kernel from block1_conv2 unit 12 to ${o.layer} ${o.unit}:`));
      expect(title).toContain(`(scale ±${num(target.maxAbs, 3)})`);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
