// Write-ups: MDX files in ATLAS_CONTENT_DIR (default content/writeups/; astro.config.mjs makes it
// absolute). Their embeds (<Unit>, <Circuit>, <Kernel>, <Examples>, <Tuning>, <Stat>, <Claim>, <Rank>) are
// src/components/mdx/.
import { existsSync, readdirSync } from 'node:fs';
import { defineCollection, z } from 'astro:content';
import { glob, type Loader } from 'astro/loaders';

const base = process.env.ATLAS_CONTENT_DIR || 'content/writeups';
const files = glob({ pattern: '**/*.{md,mdx}', base });

/**
 * Astro's glob loader returns early on a folder without matching files and so keeps the entries cached
 * from the previous build (another ATLAS_CONTENT_DIR, or the last write-up deleted): clear them then.
 */
const writeupsLoader: Loader = {
  name: 'atlas-writeups',
  load: async (ctx) => {
    const any = existsSync(base) && readdirSync(base, { recursive: true }).some((f) => /\.mdx?$/.test(String(f)));
    if (!any) {
      ctx.store.clear();
      ctx.logger.info(`no write-ups in ${base}`);
      return;
    }
    await files.load(ctx);
  },
};

const writeups = defineCollection({
  loader: writeupsLoader,
  schema: z.object({
    title: z.string(),
    /** One or two sentences for lists and the page's description. */
    summary: z.string(),
    date: z.coerce.date().optional(),
    authors: z.array(z.string()).default([]),
    /** Order on the home page (lower first), then by date. */
    order: z.number().default(100),
    /**
     * The atlas profile (config file, relative to the project) whose data the write-up's claims were
     * written for; the site tests build the write-up against that profile's data (tests/site/writeups.test.ts).
     */
    atlas: z.string().optional(),
  }),
});

export const collections = { writeups };
