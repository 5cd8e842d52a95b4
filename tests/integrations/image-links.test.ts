// A build's image folder (src/integrations/image-links.ts): links to the generated files, the last
// build's kept where they are still those files, and exactly the atlas's images after each build.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { asideDir, linkImages, setAside } from '../../src/integrations/image-links.ts';

let root = '';
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Writes as the generator does: a new file renamed over the old name (a new inode). */
function write(dir: string, rel: string, text: string): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function files(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? files(dir, r) : [r];
  });
}

function setup() {
  root = mkdtempSync(path.join(tmpdir(), 'image-links-'));
  const generated = path.join(root, 'generated');
  const out = path.join(root, 'dist');
  for (const rel of ['vgg19/a/1.png', 'vgg19/b/2.webp', 'vgg19/c/3.jpg']) write(generated, rel, rel);
  return { generated, out, dest: path.join(out, 'atlas') };
}

describe('linkImages', () => {
  it('links every image on a first build', async () => {
    const { generated, out, dest } = setup();
    const images = ['vgg19/a/1.png', 'vgg19/b/2.webp', 'vgg19/c/3.jpg'];
    expect(await linkImages(generated, images, dest, asideDir(out))).toEqual({ kept: 0, linked: 3, copied: 0, removed: 0 });
    expect(files(dest).sort()).toEqual(images);
    for (const rel of images) expect(statSync(path.join(dest, rel)).ino).toBe(statSync(path.join(generated, rel)).ino);
  });

  it('keeps the links still right after Astro empties the output, relinks changed images, adds new ones and removes the rest', async () => {
    const { generated, out, dest } = setup();
    await linkImages(generated, ['vgg19/a/1.png', 'vgg19/b/2.webp', 'vgg19/c/3.jpg'], dest, asideDir(out));
    await setAside(out, 'atlas');
    // What Astro's emptying leaves: nothing of the image folder in the output.
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(asideDir(out))).toBe(true);
    write(generated, 'vgg19/a/1.png', 'a new picture');
    rmSync(path.join(generated, 'vgg19/c'), { recursive: true });
    write(generated, 'vgg19/d/4.png', 'new');
    const images = ['vgg19/a/1.png', 'vgg19/b/2.webp', 'vgg19/d/4.png'];
    expect(await linkImages(generated, images, dest, asideDir(out))).toEqual({ kept: 1, linked: 2, copied: 0, removed: 1 });
    expect(files(dest).sort()).toEqual(images);
    expect(existsSync(path.join(dest, 'vgg19/c'))).toBe(false);
    expect(existsSync(asideDir(out))).toBe(false);
    for (const rel of images) expect(statSync(path.join(dest, rel)).ino).toBe(statSync(path.join(generated, rel)).ino);
  });

  it('after a failed build, starts from the folder it set aside (the output holds a partial one)', async () => {
    const { generated, out, dest } = setup();
    const images = ['vgg19/a/1.png', 'vgg19/b/2.webp', 'vgg19/c/3.jpg'];
    await linkImages(generated, images, dest, asideDir(out));
    await setAside(out, 'atlas');
    mkdirSync(path.join(dest, 'vgg19'), { recursive: true });
    writeFileSync(path.join(dest, 'vgg19', 'stray.png'), 'partial');
    await setAside(out, 'atlas');
    expect(existsSync(dest)).toBe(false);
    expect(await linkImages(generated, images, dest, asideDir(out))).toEqual({ kept: 3, linked: 0, copied: 0, removed: 0 });
    expect(files(dest).sort()).toEqual(images);
  });
});
