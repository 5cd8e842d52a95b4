import { describe, expect, it } from 'vitest';
import { RECIPE_NAMES, RECIPES } from '../../generator/optvis/recipes.ts';
import { atlas } from '../helpers/cli.ts';

describe('atlas visualize --help', () => {
  it("states each recipe's own defaults (a help that restated them by hand went stale when the grid recipe changed)", async () => {
    const r = await atlas(['visualize', '--help'], { COLUMNS: '400' });
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const [flag, of] of [['--size', 'size'], ['--steps', 'steps'], ['--lr', 'lr'], ['--batch', 'batch']] as const) {
      const line = new RegExp(`${flag} <[a-z]+> [^]*?\\)`).exec(help)?.[0] ?? '';
      expect(line, flag).toContain(RECIPE_NAMES.map((n) => `${n} ${RECIPES[n][of]}`).join(', '));
    }
  });
});
