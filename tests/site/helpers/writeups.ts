// The real write-ups (content/writeups/) and the atlas profiles they were written for (frontmatter
// `atlas: <config file>`), and a copy of a generated folder with one JSON file changed, to break a claim.
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.ts';

export const CONTENT = path.join(ROOT, 'content', 'writeups');

export interface ProfileWriteups {
  /** The profile's config file, absolute. */
  config: string;
  /** Its write-ups' slugs (file names without extension). */
  slugs: string[];
}

/** The `atlas:` field of a write-up's frontmatter (a plain scalar, optionally quoted), or null. */
export function frontmatterAtlas(text: string): string | null {
  const fm = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  const m = fm && /^atlas:[ \t]*['"]?([^'"\r\n]+?)['"]?[ \t]*$/m.exec(fm[1]);
  return m ? m[1] : null;
}

/** Every write-up of `dir`, grouped by the profile it declares; one without a profile is an error. */
export function writeupProfiles(dir = CONTENT): ProfileWriteups[] {
  const groups = new Map<string, string[]>();
  for (const f of readdirSync(dir).filter((f) => /\.mdx?$/.test(f)).sort()) {
    const atlas = frontmatterAtlas(readFileSync(path.join(dir, f), 'utf8'));
    if (!atlas) {
      throw new Error(`${path.join(dir, f)}: no \`atlas:\` in its frontmatter. Say which atlas profile its claims were written for (e.g. \`atlas: atlas.config.ts\`), so that the site tests can build it against that data.`);
    }
    const config = path.resolve(ROOT, atlas);
    groups.set(config, [...(groups.get(config) ?? []), f.replace(/\.mdx?$/, '')]);
  }
  return [...groups].map(([config, slugs]) => ({ config, slugs }));
}

/**
 * `dst` as a copy of the generated folder `src` (hard links where the file system allows: the default
 * atlas has tens of thousands of images), except `rel`, a JSON file written anew through `edit`, so
 * the original is never touched. The generator's .cache is left out.
 */
export function copyWithEdit(src: string, dst: string, rel: string, edit: (json: Record<string, unknown>) => void): void {
  rmSync(dst, { recursive: true, force: true });
  const walk = (sub: string) => {
    mkdirSync(path.join(dst, sub), { recursive: true });
    for (const e of readdirSync(path.join(src, sub), { withFileTypes: true })) {
      const r = sub ? `${sub}/${e.name}` : e.name;
      if (e.name === '.cache' || r === rel) continue;
      if (e.isDirectory()) walk(r);
      else {
        try {
          linkSync(path.join(src, r), path.join(dst, r));
        } catch {
          copyFileSync(path.join(src, r), path.join(dst, r));
        }
      }
    }
  };
  walk('');
  const json = JSON.parse(readFileSync(path.join(src, rel), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(path.join(dst, rel), `${JSON.stringify(json, null, 1)}\n`);
}
