import type { Command } from 'commander';
import { layerInfo } from '../model/spec.ts';
import { addModelOptions, type ModelFlags, openModel, printJson } from './common.ts';

export function register(program: Command): void {
  addModelOptions(
    program.command('info').description('backend, model, available layers (shape, parameters, receptive field), weights file and sha256').option('--json', 'print as JSON'),
  ).action(async (flags: ModelFlags & { json?: boolean }) => {
    const { spec, engine, weights, backend } = await openModel(flags);
    const available = new Set(engine.layers());
    const layers = layerInfo(spec).filter((l) => available.has(l.name));
    const missing = spec.layers.filter((l) => !available.has(l.name)).map((l) => l.name);
    const info = {
      model: spec.id,
      name: spec.name,
      engine: engine.name,
      backend: { name: backend.name, provider: backend.provider, tfjs: backend.tfjsVersion },
      weights: { path: weights.path, sha256: weights.sha256 },
      layers,
      missing,
    };
    if (flags.json) return printJson(info);
    console.log(`model    ${spec.id} — ${spec.name}`);
    console.log(`engine   ${engine.name} (backend ${backend.name} via ${backend.provider}, tfjs ${backend.tfjsVersion})`);
    console.log(`weights  ${weights.path}\nsha256   ${weights.sha256}`);
    console.log(`layers   ${layers.length} available${missing.length ? `; not in these weights: ${missing.join(', ')}` : ''}`);
    console.log('  layer            shape          params     receptive field (size/stride/offset)');
    for (const l of layers) {
      const rf = l.rf ? `${l.rf.size}/${l.rf.stride}/${l.rf.offset}` : '-';
      console.log(`  ${l.name.padEnd(16)} ${l.shape.join('x').padEnd(14)} ${String(l.params).padStart(10)}   ${rf}`);
    }
  });
}
