// From a validated config to the work it implies: which layers need dataset examples, which units and
// objectives need feature visualizations (with their settings), which circuits to expand. Pure given
// the spec and weights.
import { circuitGraph } from '../circuit/graph.ts';
import { INPUT_LAYER } from '../circuit/weights.ts';
import type { KerasWeights } from '../model/keras-h5.ts';
import { findLayer, type ModelSpec, unitCount } from '../model/spec.ts';
import { type ObjectiveName, optimizesPostRelu } from '../optvis/objectives.ts';
import type { RecipeName } from '../optvis/recipes.ts';
import type { TuneStimulus } from '../stimuli/tuning.ts';
import { type AtlasConfig, type VisualizationSettings, withOverride } from './config.ts';

export interface FvTask {
  layer: string;
  unit: number;
  objective: ObjectiveName;
  /** 'full' (config.visualization and overrides), 'grid' (config.grid) or 'maco' (config.maco): a unit may have several. */
  recipe: RecipeName;
  settings: VisualizationSettings;
  /** Index of the config.layers entry (layer atlas) that alone asks for it; absent when anything else needs it too. */
  atlas?: number;
}

/** A layer atlas with feature visualizations: what a generation budget admits or leaves out, whole. */
export interface AtlasEntry {
  /** Its index in config.layers. */
  index: number;
  layer: string;
  recipe: RecipeName;
  objectives: ObjectiveName[];
  units: number;
}

export interface CircuitTask {
  layer: string;
  unit: number;
  depth: number;
  top: number;
  rank: 'weight' | 'attribution';
  /** Graph nodes (layer, unit), root first. */
  nodes: Array<{ layer: string; unit: number }>;
}

export interface TuningTask {
  layer: string;
  unit: number;
  stimulus: TuneStimulus;
}

export interface PoseTask {
  layer: string;
  unit: number;
}

export interface Plan {
  /** Layers with dataset examples for every unit (and a unit page for every unit). */
  layers: string[];
  fv: FvTask[];
  tuning: TuningTask[];
  pose: PoseTask[];
  circuits: CircuitTask[];
  featured: string[];
  /** Layer atlases with feature visualizations, deepest layer first (a budget admits them in this order). */
  atlases: AtlasEntry[];
}

export function settingsFor(config: AtlasConfig, layer: string, unit: number, recipe: RecipeName = 'full'): VisualizationSettings {
  if (recipe === 'grid') return { ...config.grid, seed: config.grid.seed ?? config.visualization.seed };
  if (recipe === 'maco') return { ...config.maco, seed: config.maco.seed ?? config.visualization.seed };
  return withOverride(config.visualization, config.overrides[`${layer}:${unit}`] ?? {});
}

export function planAtlas(config: AtlasConfig, spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>): Plan {
  const layers = new Set<string>();
  const fv = new Map<string, FvTask>();
  const addFv = (layer: string, unit: number, objective: ObjectiveName, recipe: RecipeName = 'full', atlas?: number) => {
    const key = `${layer}:${unit}:${objective}:${recipe}`;
    const had = fv.get(key);
    // A task that a featured unit or a circuit needs too is not the layer atlas's alone: no budget leaves it out.
    if (had) {
      if (atlas === undefined) delete had.atlas;
    } else {
      const { relu, ...settings } = settingsFor(config, layer, unit, recipe);
      fv.set(key, { layer, unit, objective, recipe, settings: optimizesPostRelu(objective, relu) ? { ...settings, relu } : settings, ...(atlas === undefined ? {} : { atlas }) });
    }
  };
  const atlases: AtlasEntry[] = [];
  config.layers.forEach((l, index) => {
    layers.add(l.layer);
    const spec_ = findLayer(spec, l.layer);
    const units = l.visualize === 'all' ? Array.from({ length: spec_ ? unitCount(spec_) : 0 }, (_, i) => i) : l.visualize;
    for (const u of units) for (const o of l.objectives) addFv(l.layer, u, o, l.recipe, index);
    if (units.length && l.objectives.length) atlases.push({ index, layer: l.layer, recipe: l.recipe, objectives: l.objectives, units: units.length });
  });
  const tuning: TuningTask[] = [];
  const pose: PoseTask[] = [];
  const addPose = (layer: string, unit: number) => {
    if (!pose.some((p) => p.layer === layer && p.unit === unit)) pose.push({ layer, unit });
  };
  for (const f of config.featured) {
    layers.add(f.layer);
    for (const o of f.objectives) for (const r of f.recipes) addFv(f.layer, f.unit, o, r);
    for (const stimulus of f.tuning) tuning.push({ layer: f.layer, unit: f.unit, stimulus });
    if (f.pose) addPose(f.layer, f.unit);
  }
  const circuits: CircuitTask[] = config.circuits.map((c) => {
    const graph = circuitGraph(spec, weights, c.layer, c.unit, { top: c.top, depth: c.depth });
    const nodes = graph.nodes.filter((n) => n.layer !== INPUT_LAYER).map((n) => ({ layer: n.layer, unit: n.unit }));
    for (const n of nodes) layers.add(n.layer);
    if (c.visualizeInputs) for (const n of graph.nodes.filter((n) => n.depth === 1 && n.layer !== INPUT_LAYER)) for (const r of c.inputRecipes) addFv(n.layer, n.unit, 'channel', r);
    addFv(c.layer, c.unit, 'channel');
    if (c.pose) for (const n of [{ layer: c.layer, unit: c.unit }, ...graph.nodes.filter((n) => n.depth === 1 && n.layer !== INPUT_LAYER)]) addPose(n.layer, n.unit);
    return { layer: c.layer, unit: c.unit, depth: c.depth, top: c.top, rank: c.rank, nodes };
  });
  const order = spec.layers.map((l) => l.name);
  const byModelOrder = (a: { layer: string; unit: number }, b: { layer: string; unit: number }) => order.indexOf(a.layer) - order.indexOf(b.layer) || a.unit - b.unit;
  return {
    layers: [...layers].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
    fv: [...fv.values()].sort((a, b) => byModelOrder(a, b) || a.objective.localeCompare(b.objective) || a.recipe.localeCompare(b.recipe)),
    circuits,
    tuning,
    pose,
    // A unit may be listed twice (say, all objectives at one recipe, one objective at another).
    featured: [...new Set(config.featured.map((f) => `${spec.id}/${f.layer}/${f.unit}`))],
    // Deepest first; entries of one layer in config order.
    atlases: atlases.sort((a, b) => order.indexOf(b.layer) - order.indexOf(a.layer) || a.index - b.index),
  };
}
