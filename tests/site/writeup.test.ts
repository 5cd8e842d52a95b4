// A write-up with every embed: they render from the atlas data and link to the atlas.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CircuitJson } from '../../generator/pipeline/schema.ts';
import { undecodedImages, useSession } from './helpers/session.ts';

const s = useSession();

describe('write-up', () => {
  it('renders its <Unit>, <Examples>, <Kernel>, <Claim>, <Rank> and <Circuit> embeds', async () => {
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/writeups/block2-conv1-5/`);
    await expect(page.locator('h1').textContent()).resolves.toContain('block2_conv1, unit 5');

    const unit = page.locator('[data-embed="unit"][data-id="vgg19/block2_conv1/5"]');
    await expect(unit.locator('img').count()).resolves.toBeGreaterThanOrEqual(2);
    await expect(unit.locator('a[href="/models/vgg19/block2_conv1/5/"]').count()).resolves.toBeGreaterThan(0);

    await expect(page.locator('[data-embed="examples"] .examples img').count()).resolves.toBe(4);

    const kernels = page.locator('[data-embed="kernel"]');
    await expect(kernels.count()).resolves.toBe(2);
    await expect(kernels.first().locator('svg.kernel rect').count()).resolves.toBe(10); // 9 cells + frame
    await expect(kernels.first().textContent()).resolves.toContain('inhibitory');

    // Claims: the prose or number as written, a ✓ saying what the build checked; ranked inputs as links.
    const claims = page.locator('[data-embed="claim"]');
    await expect(claims.count()).resolves.toBe(3);
    await expect(claims.first().textContent()).resolves.toBe('fires on every image✓');
    await expect(claims.first().locator('.claim-mark').getAttribute('title')).resolves.toBe('Checked when the site was built, against vgg19/block2_conv1/5: examples.firing_rate is 1; claimed: = 1');
    // A checked number links to the unit page's section that shows it, not to raw JSON.
    await expect(claims.first().locator('.claim-mark').getAttribute('href')).resolves.toBe('/models/vgg19/block2_conv1/5/#examples');
    await expect(claims.nth(2).locator('a.stat').getAttribute('href')).resolves.toBe('/models/vgg19/block2_conv1/5/#circuit');
    await expect(claims.nth(2).locator('.stat').textContent()).resolves.toMatch(/^−\d\.\d{3}$/);
    const ranks = page.locator('[data-embed="rank"]');
    await expect(ranks.count()).resolves.toBe(3);
    await expect(ranks.first().getAttribute('href')).resolves.toBe('/models/vgg19/block1_conv2/33/');
    await expect(ranks.first().textContent()).resolves.toBe('block1_conv2 unit 33');
    await expect(ranks.nth(1).textContent()).resolves.toMatch(/^unit \d+$/);
    await expect(kernels.first().locator('.kernel-checks').textContent()).resolves.toContain('rank 1 of its inputs by kernel L2 norm');

    const circuit = page.locator('[data-embed="circuit"]').first();
    await expect(circuit.locator('svg path').count()).resolves.toBe(3);
    await expect(circuit.locator('img').count()).resolves.toBe(4);
    await expect(circuit.locator('a[href="/circuits/block2_conv1-5/"]').count()).resolves.toBe(1);
    await expect(circuit.locator('[data-frame]').count()).resolves.toBe(0); // one level: no boxes

    // Two levels: each box member framed by its strongest edge into level 1, edges into other boxes left out.
    const deep = CircuitJson.parse(JSON.parse(readFileSync(path.join(inject('siteDist'), 'data', 'circuits', 'fire4_squeeze1x1-5.json'), 'utf8')));
    const depthOf = new Map(deep.nodes.map((n) => [n.id, n.depth]));
    const up = deep.edges.filter((e) => depthOf.get(e.target) === 1);
    const members = deep.nodes.filter((n) => n.depth === 2);
    const cross = up.length - members.length;
    expect(cross).toBeGreaterThan(0);
    const two = page.locator('[data-embed="circuit"][data-id="fire4_squeeze1x1-5"]');
    await expect(two.locator('svg path').count()).resolves.toBe(deep.edges.length - cross);
    const strongest = (id: string) => up.filter((e) => e.source === id).sort((a, b) => b.l2 - a.l2)[0]!.sign;
    const signs = members.map((n) => strongest(n.id)).sort();
    await expect(two.locator('[data-frame]').evaluateAll((els) => els.map((e) => e.getAttribute('data-frame')).sort())).resolves.toEqual(signs);
    await expect(two.locator('figcaption').textContent()).resolves.toContain(`${cross} edges into other boxes are left out`);

    expect(await undecodedImages(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
