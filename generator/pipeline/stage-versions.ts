// Each stage's code version: the content hash of the modules its runner reaches (see code-version.ts).
// The entry is the stage's runner in stages/; whatever it imports, or starts as a worker thread, is in.
import { type CodeGraph, codeGraphs } from '../code-version.ts';
import type { Stage } from './jobs.ts';

export const STAGE_ENTRIES: Record<Stage, string[]> = {
  examples: ['generator/pipeline/stages/examples.ts'],
  circuits: ['generator/pipeline/stages/circuits.ts'],
  graph: ['generator/pipeline/stages/graph.ts'],
  fv: ['generator/pipeline/stages/fv.ts'],
  tuning: ['generator/pipeline/stages/tuning.ts'],
  pose: ['generator/pipeline/stages/pose.ts'],
  model: ['generator/pipeline/stages/model-check.ts'],
};

/** Every stage's code graph, computed over the sources under `root` (the project; a copy in tests). */
export function stageGraphs(root?: string): Record<Stage, CodeGraph> {
  return codeGraphs(STAGE_ENTRIES, root);
}

export function stageVersions(root?: string): Record<Stage, string> {
  const graphs = stageGraphs(root);
  return Object.fromEntries(Object.entries(graphs).map(([s, g]) => [s, g.version])) as Record<Stage, string>;
}
