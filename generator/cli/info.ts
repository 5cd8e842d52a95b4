import type { Command } from 'commander';
import { listProviders } from '../model/device.ts';
import { loadOrt } from '../model/ort.ts';
import { layerInfo } from '../model/spec.ts';
import { addModelOptions, type ModelFlags, openModel, printJson } from './common.ts';

export function register(program: Command): void {
  addModelOptions(
    program.command('info').description('backend, model, available layers (shape, parameters, receptive field), weights file and sha256').option('--json', 'print as JSON'),
  ).action(async (flags: ModelFlags & { json?: boolean }) => {
    const { spec, engine, weights, backend, device } = await openModel(flags);
    // What this onnxruntime-node build offers; cuda and tensorrt need the install script's libraries.
    const ort = await loadOrt().then(
      (o) => ({ version: o.env.versions.node ?? o.env.versions.common, providers: listProviders(o) }),
      () => null,
    );
    const available = new Set(engine.layers());
    const layers = layerInfo(spec).filter((l) => available.has(l.name));
    const missing = spec.layers.filter((l) => !available.has(l.name)).map((l) => l.name);
    const info = {
      model: spec.id,
      name: spec.name,
      engine: engine.name,
      device,
      onnxruntime: ort,
      backend: { name: backend.name, provider: backend.provider, tfjs: backend.tfjsVersion },
      weights: { path: weights.path, sha256: weights.sha256 },
      layers,
      missing,
    };
    if (flags.json) return printJson(info);
    console.log(`model    ${spec.id} — ${spec.name}`);
    console.log(`engine   ${engine.name} (backend ${backend.name} via ${backend.provider}, tfjs ${backend.tfjsVersion})`);
    console.log(`device   ${device}${ort ? `; onnxruntime ${ort.version} providers: ${ort.providers.map((p) => `${p.name}${p.bundled ? '' : ' (installed separately)'}`).join(', ')}` : ''}`);
    console.log(`weights  ${weights.path}\nsha256   ${weights.sha256}`);
    console.log(`layers   ${layers.length} available${missing.length ? `; not in these weights: ${missing.join(', ')}` : ''}`);
    console.log('  layer            shape          params     receptive field (size/stride/offset)');
    for (const l of layers) {
      const rf = l.rf ? `${l.rf.size}/${l.rf.stride}/${l.rf.offset}` : '-';
      console.log(`  ${l.name.padEnd(16)} ${l.shape.join('x').padEnd(14)} ${String(l.params).padStart(10)}   ${rf}`);
    }
  });
}
