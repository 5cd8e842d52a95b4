// Astro renders the atlas from the generated folder at build time; pages compute nothing.
//   ATLAS_GENERATED_DIR  the generator's output to render (default generated/), relative to this folder
//   ATLAS_CONTENT_DIR    the MDX write-ups (default content/writeups/), relative to this folder
// Both are resolved here, once, so that the reader (src/lib/atlas.ts) and the content collection
// (src/content.config.ts) see absolute paths whatever the working directory.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';
import mdx from '@astrojs/mdx';
import svelte from '@astrojs/svelte';
import atlas from './src/integrations/atlas.ts';

const root = path.dirname(fileURLToPath(import.meta.url));
process.env.ATLAS_GENERATED_DIR = path.resolve(root, process.env.ATLAS_GENERATED_DIR || 'generated');
process.env.ATLAS_CONTENT_DIR = path.resolve(root, process.env.ATLAS_CONTENT_DIR || 'content/writeups');

export default defineConfig({
  integrations: [atlas({ generatedDir: process.env.ATLAS_GENERATED_DIR }), mdx(), svelte()],
  trailingSlash: 'always',
  build: { format: 'directory' },
  devToolbar: { enabled: false },
  vite: { build: { assetsInlineLimit: 0 } },
});
