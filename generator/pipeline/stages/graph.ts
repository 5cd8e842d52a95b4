// The graph stage: one circuit graph per configured circuit, ranked by weight or by attribution over
// the unit's top dataset examples.
import path from 'node:path';
import { datasetExampleSource } from '../../circuit/attribution.ts';
import { circuitJson, unitCircuit } from '../../circuit/index.ts';
import { writeJsonAtomic } from '../../fsutil.ts';
import { loadModel } from '../../model/load.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

export async function runGraphs(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  for (const j of jobs) {
    hooks.start([j]);
    const t = performance.now();
    const c = j.circuit!;
    let attribution: Float64Array | undefined;
    if (c.rank === 'attribution') {
      const { inputAttribution } = await import('../../circuit/attribution.ts');
      const source = datasetExampleSource({ dataset: ctx.config.dataset, out: ctx.out, model: ctx.load, limit: ctx.config.datasetLimit, quiet: true });
      const { engine } = await loadModel(ctx.load);
      attribution = await inputAttribution(engine, ctx.weights, c.layer, c.unit, await source(c.layer, c.unit));
      engine.dispose();
    }
    const circuit = unitCircuit(ctx.spec, ctx.weights, c.layer, c.unit, { top: c.top, depth: c.depth, attribution });
    const json = circuitJson(circuit);
    writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), {
      schema: SCHEMA,
      layer: c.layer,
      unit: c.unit,
      depth: c.depth,
      top: c.top,
      rank: circuit.rank,
      root: { inputs: json.inputs, excitatory: json.excitatory, inhibitory: json.inhibitory },
      graph: json.graph,
      provenance: provenance(ctx, 'graph', j.job.hash, { depth: c.depth, top: c.top, rank: c.rank }, c.rank === 'attribution'),
    });
    hooks.finish(j, (performance.now() - t) / 1000);
  }
}
