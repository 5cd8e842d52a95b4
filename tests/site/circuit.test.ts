// The interactive circuit graph: Cytoscape draws the circuit's nodes on a canvas, the controls filter
// them, hovering an edge shows its kernel, hovering a node says what its picture is (recipe included),
// clicking a node opens its unit page.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CircuitJson } from '../../generator/pipeline/schema.ts';
import { ARTIFACTS } from './helpers/paths.ts';
import { useSession } from './helpers/session.ts';

const s = useSession();
const data = CircuitJson.parse(JSON.parse(readFileSync(path.join(inject('siteDist'), 'data', 'circuits', 'block2_conv1-5.json'), 'utf8')));

interface Hook {
  ready: boolean;
  cy: {
    /** The units are the nodes of class "unit" (compound boxes group deeper levels). */
    nodes: (selector?: string) => { length: number };
    edges: () => { length: number };
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

    // Top-k filter: 1 input per unit.
    await page.selectOption('.graphwrap select >> nth=1', '1');
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.nodes('.unit').length)).toBe(2);
    await page.selectOption('.graphwrap select >> nth=1', String(data.top));
    expect(await page.evaluate(() => window.__atlasCircuit!.cy.nodes('.unit').length)).toBe(data.nodes.length);

    const box = (await page.locator('.graphwrap .graph').boundingBox())!;
    const at = (id: string) => page.evaluate((i) => window.__atlasCircuit!.cy.$id(i).renderedPosition(), id);
    // Hover the middle of the strongest edge: the tooltip shows its kernel.
    // (Edges end under their target's label, so the edge's own midpoint, not the nodes'.)
    const e0 = data.edges[0];
    const mid = await page.evaluate((i) => window.__atlasCircuit!.cy.$id(i).renderedMidpoint(), `${e0.source}->${e0.target}`);
    await page.mouse.move(box.x + mid.x, box.y + mid.y);
    await page.waitForSelector('.tip svg rect');
    await expect(page.locator('.tip svg rect').count()).resolves.toBe(9);

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
});
