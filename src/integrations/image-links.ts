// The generated images in a built site (dist/atlas/...): hard links to the generated folder's files,
// kept from one build to the next. Astro empties the output folder before each build; for the default
// atlas's ~32,500 images (one folder each, about) removing the links and making them again was most of
// a build's file work (on an AVX2 machine, 49 s to empty dist/ and 27-37 s to link). So the folder is set
// aside before Astro empties dist/ and brought back after the pages are built, with only what changed
// redone: a link is kept when it is still the generated file itself (the generator never writes a file
// in place: a new image is a new file), every other one is made again, and what the atlas no longer
// has is removed. The result is the same tree a fresh build makes.
import { copyFile, link, lstat, mkdir, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where a build's image folder waits while Astro empties the output folder: beside it, not in it. */
export function asideDir(outDir: string): string {
  return path.join(path.dirname(path.resolve(outDir)), `.${path.basename(path.resolve(outDir))}-atlas-previous`);
}

/** Before Astro empties `outDir`: moves its image folder aside (a rename, instant). An aside folder left by a failed build is kept as it is. */
export async function setAside(outDir: string, assetDir: string): Promise<void> {
  const current = path.join(outDir, assetDir);
  const aside = asideDir(outDir);
  if (!existsSync(current)) return;
  if (existsSync(aside)) {
    await rm(current, { recursive: true, force: true });
    return;
  }
  await rename(current, aside);
}

/** Files handled at once. */
const GROUP = 32;

export interface LinkResult {
  /** Links still the generated file, left as they were. */
  kept: number;
  linked: number;
  /** Copied where no link can be made (the output on another file system). */
  copied: number;
  /** Files of an earlier build the atlas no longer has. */
  removed: number;
}

/**
 * `dest` holds exactly `images` (paths relative to `generated`), as links where the file system allows,
 * else copies; starting from the folder setAside kept, when there is one.
 */
export async function linkImages(generated: string, images: string[], dest: string, aside: string | null): Promise<LinkResult> {
  const r: LinkResult = { kept: 0, linked: 0, copied: 0, removed: 0 };
  const restored = !!aside && existsSync(aside);
  if (restored) {
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(aside, dest);
  }
  // In groups: each file costs a few system calls, which the thread pool runs side by side.
  const made = new Map<string, Promise<unknown>>();
  const one = async (rel: string) => {
    const source = path.join(generated, rel);
    const target = path.join(dest, rel);
    const old = restored ? await lstat(target).catch(() => null) : null;
    if (old) {
      const s = await stat(source);
      if (old.isFile() && old.ino === s.ino && old.dev === s.dev) {
        r.kept++;
        return;
      }
      await rm(target, { recursive: true, force: true });
    }
    const parent = path.dirname(target);
    if (!made.has(parent)) made.set(parent, mkdir(parent, { recursive: true }));
    await made.get(parent);
    // A hard link writes no bytes and doubles no disk space; a later run cannot change a built site
    // through it (the generator writes a new file and renames it over the old name).
    try {
      await link(source, target);
      r.linked++;
    } catch {
      await copyFile(source, target);
      r.copied++;
    }
  };
  for (let i = 0; i < images.length; i += GROUP) await Promise.all(images.slice(i, i + GROUP).map(one));
  if (restored) r.removed = (await prune(dest, '', new Set(images))).removed;
  return r;
}

/** Removes the files below `dir` that `keep` does not list, and the folders that leaves empty. */
async function prune(dir: string, rel: string, keep: Set<string>): Promise<{ removed: number; left: number }> {
  let removed = 0;
  let left = 0;
  const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        const sub = await prune(dir, r, keep);
        removed += sub.removed;
        if (sub.left === 0) await rmdir(path.join(dir, r));
        else left++;
      } else if (keep.has(r)) left++;
      else {
        await unlink(path.join(dir, r));
        removed++;
      }
    }),
  );
  return { removed, left };
}
