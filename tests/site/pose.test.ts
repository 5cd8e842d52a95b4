// The unit page's pose section against the published JSON (unit.json `pose`, generator/stimuli/pose.ts):
// the medians it states, and each row's crops turned as the generator turned their pixels.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { UnitJson } from '../../generator/pipeline/schema.ts';
import { num, percent } from '../../src/lib/format.ts';
import { useSession } from './helpers/session.ts';

const s = useSession();
const dist = inject('siteDist');
const read = (rel: string) => JSON.parse(readFileSync(path.join(dist, 'data', rel), 'utf8')) as unknown;

describe('unit page: pose on dataset examples', () => {
  it("states the medians of pose.json and shows each example's crop turned and mirrored", async () => {
    const unit = UnitJson.parse(read('vgg19/block2_conv1/5.json'));
    const pose = unit.pose!;
    expect(pose.poses).toEqual(['identity', 'rot90', 'rot180', 'rot270', 'mirror']);
    // Every top example is turned, or left out and counted because its field runs past the photo's edge.
    expect(pose.examples.length + pose.edge!).toBe(unit.examples!.top.length);
    const inside = unit.examples!.top.filter((e) => !e.edge).map((e) => `${e.x},${e.y}`);
    expect(pose.examples.map((e) => `${e.x},${e.y}`)).toEqual(inside);
    const { page, errors } = await s.page();
    await page.goto(`${s.base}/models/vgg19/block2_conv1/5/`, { waitUntil: 'networkidle' });
    await expect(page.locator('.actions a[href="#pose"]').count()).resolves.toBe(1);
    for (const p of ['rot90', 'rot180', 'rot270', 'mirror'] as const) {
      await expect(page.locator(`[data-pose="${p}"]`).textContent(), p).resolves.toBe(percent(pose.retained[p]));
    }
    await expect(page.locator('[data-pose-reproduced]').textContent()).resolves.toBe(pose.reproduced.toFixed(3));
    const rows = page.locator('table.pose tbody tr');
    await expect(rows.count()).resolves.toBe(pose.examples.length); // the rows past 6 in a closed <details>
    await expect(page.locator('table.pose tbody tr:visible').count()).resolves.toBe(Math.min(6, pose.examples.length));
    const first = await rows.first().locator('img').evaluateAll((imgs) => imgs.map((i) => ({ src: i.getAttribute('src'), transform: getComputedStyle(i).transform })));
    expect(first.map((i) => i.src)).toEqual(Array(5).fill(expect.stringContaining(pose.examples[0].crop!)));
    // Clockwise quarter turns and a left-right mirror, as matrices: none, 90, 180, 270 degrees, mirror.
    const round = (t: string) => t.replace(/-?\d+(\.\d+)?(e-?\d+)?/g, (v) => String(Math.round(Number(v))).replace('-0', '0'));
    expect(first.map((i) => round(i.transform))).toEqual(['none', 'matrix(0, 1, -1, 0, 0, 0)', 'matrix(-1, 0, 0, -1, 0, 0)', 'matrix(0, -1, 1, 0, 0, 0)', 'matrix(-1, 0, 0, 1, 0, 0)']);
    // Where it fires: one tile per photo of the strip, each showing its part, with the peak's value.
    const where = pose.where!;
    expect(where.examples.length).toBe(Math.min(6, unit.examples!.top.length));
    const tiles = page.locator('#where figure');
    await expect(tiles.count()).resolves.toBe(where.examples.length);
    for (const [i, e] of where.examples.entries()) {
      const img = tiles.nth(i).locator('img');
      await expect(img.getAttribute('src')).resolves.toContain(where.file);
      const [w, shift] = await img.evaluate((el) => [(el as HTMLImageElement).width, parseFloat(getComputedStyle(el).marginLeft)]);
      expect(shift).toBeCloseTo((-i * w) / where.examples.length, 3);
      await expect(tiles.nth(i).locator('figcaption').textContent()).resolves.toContain(`${num(e.max)} at (${e.x}, ${e.y}); fires at ${percent(e.active)} of positions`);
      // The peak is the dataset pass's: the same image, position and value as the top example.
      const top = unit.examples!.top[i];
      expect([e.image, e.x, e.y]).toEqual([top.image, top.x, top.y]);
      expect(Math.abs(e.max - top.activation) / top.activation).toBeLessThan(1e-3);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
