// The real write-ups (content/writeups/), built against the data of the atlas profile each declares
// (frontmatter `atlas:`), so that a claim the data no longer supports fails CI. The profile is generated
// with its own settings into test-artifacts/site/writeups/<profile>/generated, every stage but feature
// visualization: claims cite examples, circuits and tuning, never the images, which cost ~31 s each
// (about 10 min for the default atlas) while the rest takes about 3 min. Embeds that show a unit's
// picture fall back to its top dataset crop. ATLAS_WRITEUPS_GENERATED_DIR=<folder> uses an existing
// atlas of that profile instead (e.g. a full `npm run atlas` output in generated/).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch } from './helpers/browser.ts';
import { buildSiteAsync, type BuildResult } from './helpers/build.ts';
import { ARTIFACTS, ROOT } from './helpers/paths.ts';
import { serveStatic } from './helpers/server.ts';
import { undecodedImages } from './helpers/session.ts';
import { CONTENT, copyWithEdit, writeupProfiles } from './helpers/writeups.ts';

const STAGES = 'examples,circuits,graph,tuning,pose,model';
const groups = writeupProfiles();
// The featured write-up and a claim of it that the test breaks in a copy of the data.
const FEATURED = 'round-shapes-in-block3';
const BROKEN_FILE = 'vgg19/block3_conv4/166/unit.json';

interface Built {
  config: string;
  slugs: string[];
  generated: string;
  dist: string;
  build: BuildResult;
}
const built: Built[] = [];

function generate(config: string, out: string): Promise<number | null> {
  const shared = process.env.ATLAS_SHARED_DIR ?? path.resolve(ROOT, '..', 'shared');
  const env = {
    ...process.env,
    ATLAS_MODELS_DIR: process.env.ATLAS_MODELS_DIR ?? path.join(shared, 'models'),
    ATLAS_DATASET_DIR: process.env.ATLAS_DATASET_DIR ?? path.join(shared, 'datasets', 'imagenet-sample'),
  };
  console.log(`write-up tests: generating ${path.relative(ROOT, config)} (stages ${STAGES}) into ${path.relative(ROOT, out)}; up-to-date jobs are skipped...`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'atlas.mjs'), 'generate', '--config', config, '--out', out, '--stages', STAGES], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

beforeAll(async () => {
  const given = process.env.ATLAS_WRITEUPS_GENERATED_DIR;
  if (given && groups.length > 1) throw new Error(`ATLAS_WRITEUPS_GENERATED_DIR names one atlas, but the write-ups were written for ${groups.length} profiles.`);
  for (const g of groups) {
    if (!existsSync(g.config)) throw new Error(`write-ups ${g.slugs.join(', ')} declare the atlas profile ${path.relative(ROOT, g.config)}, which does not exist.`);
    const name = path.basename(g.config).replace(/\.[^.]+$/, '');
    const dir = path.join(ARTIFACTS, 'writeups', name);
    const generated = given ? path.resolve(ROOT, given) : path.join(dir, 'generated');
    if (!given && (await generate(g.config, generated)) !== 0) throw new Error(`generating ${path.relative(ROOT, g.config)} for the write-ups failed (see above; ATLAS_MODELS_DIR and ATLAS_DATASET_DIR must be set).`);
    // One content folder per profile: today all write-ups share one, so content/writeups/ is used as is.
    if (groups.length > 1) throw new Error('write-ups for several atlas profiles: build each group from its own content folder (not needed yet).');
    const t = Date.now();
    const build = await buildSiteAsync({ outDir: path.join(dir, 'dist'), generatedDir: generated, contentDir: CONTENT });
    console.log(`write-up tests: built ${g.slugs.join(', ')} against ${path.relative(ROOT, generated)} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    built.push({ ...g, generated, dist: path.join(dir, 'dist'), build });
  }
});

describe('real write-ups', () => {
  it('declare their atlas profile, and the featured one is among them', () => {
    expect(groups.flatMap((g) => g.slugs)).toContain(FEATURED);
  });

  it('build against the data they were written for, their claims holding', () => {
    for (const b of built) {
      expect(b.build.status, b.build.output.slice(-4000)).toBe(0);
      for (const slug of b.slugs) {
        const html = readFileSync(path.join(b.dist, 'writeups', slug, 'index.html'), 'utf8');
        expect(html).toContain(`data-atlas-profile="${path.relative(ROOT, b.config)}"`);
        expect(html).not.toMatch(/cannot be (rendered|checked)|does not hold/);
      }
    }
    const html = readFileSync(path.join(built[0].dist, 'writeups', FEATURED, 'index.html'), 'utf8');
    expect(html.match(/data-embed="(claim|rank)"/g)?.length ?? 0).toBeGreaterThanOrEqual(10);
    expect(html).toContain('Checked against the data:');
  });

  describe('the featured write-up in the browser', () => {
    let close: () => Promise<void> = async () => {};
    afterAll(() => close());

    it('renders without console errors, every image decoding', async () => {
      const b = built.find((x) => x.slugs.includes(FEATURED))!;
      const server = await serveStatic(b.dist);
      const browser = await launch();
      close = async () => {
        await browser.close();
        await server.close();
      };
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/writeups/${FEATURED}/`);
      await expect(page.locator('[data-embed="claim"] .claim-mark').count()).resolves.toBeGreaterThan(0);
      await expect(page.locator('[data-embed="claim"] .claim-mark').first().getAttribute('title')).resolves.toMatch(/^Checked when the site was built, against vgg19\//);
      expect(await undecodedImages(page)).toEqual([]);
      await page.screenshot({ path: path.join(ARTIFACTS, `writeup-${FEATURED}.png`), fullPage: true });
      // On a phone: nothing widens the page (tuning tables, charts); the circuit drawing scrolls in its box, the unit in view.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload({ waitUntil: 'networkidle' });
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
      const box = page.locator('.embed-circuit > .scroll').first();
      const { left, over } = await box.evaluate((b) => ({ left: b.scrollLeft, over: b.scrollWidth - b.clientWidth }));
      expect(over).toBeGreaterThan(0);
      expect(Math.abs(left - over / 2)).toBeLessThanOrEqual(1);
      expect(errors).toEqual([]);
    });
  });

  it('fail the build when the data breaks a claim, naming the write-up, the claim and what the data says', async () => {
    const b = built.find((x) => x.slugs.includes(FEATURED))!;
    const broken = path.join(ARTIFACTS, 'writeups', 'broken');
    // The strongest input by kernel norm turned inhibitory: "its ten strongest inputs are all excitatory" no longer holds.
    copyWithEdit(b.generated, path.join(broken, 'generated'), BROKEN_FILE, (unit) => {
      const input = (unit as { circuit: { inputs: Array<{ sum: number; sign: string }> } }).circuit.inputs[0];
      input.sum = -input.sum;
      input.sign = 'inhibitory';
    });
    try {
      const r = await buildSiteAsync({ outDir: path.join(broken, 'dist'), generatedDir: path.join(broken, 'generated'), contentDir: CONTENT });
      expect(r.status).not.toBe(0);
      expect(r.output).toContain(`Write-up /writeups/${FEATURED}/: the claim <Claim id="vgg19/block3_conv4/166" path="circuit.inputs.*.sign"`);
      expect(r.output).toContain('does not hold: circuit.inputs.0.sign is "inhibitory", not "excitatory".');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  }, 600_000);
});
