// One static server and one browser per test file, with the console errors of each page collected.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, inject } from 'vitest';
import { launch } from './browser.ts';
import { serveStatic, type StaticServer } from './server.ts';

export interface Session {
  base: string;
  browser: Browser;
  /** A new page whose console errors, warnings and uncaught exceptions land in `errors`. */
  page: () => Promise<{ page: Page; errors: string[] }>;
}

export function useSession(): Session {
  let server: StaticServer;
  const session = {} as Session;
  beforeAll(async () => {
    server = await serveStatic(inject('siteDist'));
    session.base = server.url;
    session.browser = await launch();
    session.page = async () => {
      const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        // Warnings too: a library's warning (Cytoscape's style mappings) marks a real misuse.
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${page.url()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
      return { page, errors };
    };
  });
  afterAll(async () => {
    await session.browser?.close();
    await server?.close();
  });
  return session;
}

/** Loads every image of the page (lazy ones too) and returns those that do not decode. */
export async function undecodedImages(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const imgs = Array.from(document.images);
    for (const img of imgs) img.loading = 'eager';
    const bad: string[] = [];
    await Promise.all(
      imgs.map(async (img) => {
        try {
          await img.decode();
        } catch {
          /* checked below */
        }
        if (!(img.naturalWidth > 0)) bad.push(img.currentSrc || img.src);
      }),
    );
    return bad;
  });
}
