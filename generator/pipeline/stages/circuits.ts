// The circuits stage: every unit's input and output connections of a layer (weights only: milliseconds
// per unit).
import path from 'node:path';
import { circuitJson, unitCircuit } from '../../circuit/index.ts';
import { inputMaxAbs } from '../../circuit/weights.ts';
import { writeJsonAtomic } from '../../fsutil.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

export async function runCircuits(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  for (const j of jobs) {
    hooks.start([j]);
    const t = performance.now();
    const layer = ctx.spec.layers.find((l) => l.name === j.layer);
    const units = layer?.kind === 'conv' ? layer.filters : 0;
    const all = Array.from({ length: units }, (_, u) => {
      const c = unitCircuit(ctx.spec, ctx.weights, j.layer, u, { top: 10, depth: 0 });
      const json = circuitJson(c);
      return { unit: u, source: c.source, target: c.target, rank: c.rank, inputs: json.inputs, excitatory: json.excitatory, inhibitory: json.inhibitory, outputs: json.outputs.map((o) => ({ ...o, scale: inputMaxAbs(ctx.weights, o.layer, o.unit) })), ...(c.outputsNote ? { outputsNote: c.outputsNote } : {}), maxAbs: inputMaxAbs(ctx.weights, j.layer, u) };
    });
    writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, layer: j.layer, units: all, provenance: provenance(ctx, 'circuits', j.job.hash, { top: 10 }, false) });
    hooks.finish(j, (performance.now() - t) / 1000);
  }
}
