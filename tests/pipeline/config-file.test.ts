// Configs anywhere on disk: every supported kind in a temporary folder (outside the project, so no
// package.json says "type": "module"), through loadConfig and through the CLI.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../generator/paths.ts';
import { loadConfig } from '../../generator/pipeline/config.ts';
import { atlas } from '../helpers/cli.ts';

const configModule = path.join(PROJECT_ROOT, 'generator', 'pipeline', 'config.ts');

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-cfg-any-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('config files anywhere', () => {
  const variants: Record<string, string> = {
    'define.config.ts': `import { defineConfig } from ${JSON.stringify(configModule)};\nconst steps: number = 7;\nexport default defineConfig({ out: 'gen', dataset: '../data', visualization: { steps } });\n`,
    'plain.config.ts': `export default { out: 'gen', dataset: '../data', visualization: { steps: 7 } };\n`,
    'plain.config.mts': `export default { out: 'gen', dataset: '../data', visualization: { steps: 7 as number } };\n`,
    'plain.config.mjs': `export default { out: 'gen', dataset: '../data', visualization: { steps: 7 } };\n`,
    'plain.config.js': `export default { out: 'gen', dataset: '../data', visualization: { steps: 7 } };\n`,
    'common.config.cjs': `module.exports = { out: 'gen', dataset: '../data', visualization: { steps: 7 } };\n`,
    'helper.config.ts': `import { steps } from './lib/steps.ts';\nimport path from 'node:path';\nexport default { out: path.join('gen'), dataset: '../data', visualization: { steps } };\n`,
    'lib/steps.ts': `export const steps: number = 7;\n`,
    'package.config.mts': `import { z } from 'zod';\nexport default { out: 'gen', dataset: '../data', visualization: { steps: z.number().parse(7) } };\n`,
    'plain.config.json': JSON.stringify({ out: 'gen', dataset: '../data', visualization: { steps: 7 } }),
  };
  const dir = folder(variants);

  for (const name of Object.keys(variants).filter((n) => n.includes('.config.'))) {
    it(`loads ${name}, relative paths from its folder`, async () => {
      const { config, file } = await loadConfig(path.join(dir, name));
      expect(file).toBe(path.join(dir, name));
      expect(config.visualization.steps).toBe(7);
      expect(config.out).toBe(path.join(dir, 'gen'));
      expect(config.dataset).toBe(path.join(path.dirname(dir), 'data'));
    });
  }

  it('says what is wrong with a broken config, and where', async () => {
    const bad = folder({
      'syntax.config.ts': `export default { out: 'x' ;\n`,
      'none.config.ts': `export const config = { out: 'x' };\n`,
      'missing.config.ts': `import { x } from './nowhere.ts';\nexport default { out: x };\n`,
      'atlas.config.yaml': `out: x\n`,
      'invalid.config.ts': `export default { out: 3 };\n`,
    });
    await expect(loadConfig(path.join(bad, 'syntax.config.ts'))).rejects.toThrow(/cannot compile config .*syntax\.config\.ts:\n.*syntax\.config\.ts:1:\d+: /);
    await expect(loadConfig(path.join(bad, 'none.config.ts'))).rejects.toThrow(/none\.config\.ts has no default export/);
    await expect(loadConfig(path.join(bad, 'missing.config.ts'))).rejects.toThrow(/missing\.config\.ts:1:\d+: Could not resolve "\.\/nowhere\.ts"/);
    await expect(loadConfig(path.join(bad, 'atlas.config.yaml'))).rejects.toThrow(/unsupported extension '\.yaml'/);
    await expect(loadConfig(path.join(bad, 'invalid.config.ts'))).rejects.toThrow(/invalid\.config\.ts: out: /);
  });

  it('atlas generate --config runs a .ts config from a temporary folder', async () => {
    const cli = folder({
      'atlas.config.ts': `import { defineConfig } from ${JSON.stringify(configModule)};\nexport default defineConfig({ out: 'generated' });\n`,
      'plain.config.ts': `export default { out: 'plain-out' };\n`,
    });
    for (const [name, out] of [['atlas.config.ts', 'generated'], ['plain.config.ts', 'plain-out']]) {
      const r = await atlas(['generate', '--config', path.join(cli, name)]);
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(path.join(cli, out, 'manifest.json')), r.stderr).toBe(true);
    }
  });
});
