// What write-up embeds look up by id: a unit, an edge between two units, a unit's tuning, a number at a
// path of a unit's unit.json. Each read goes through the reader (atlas.ts); an id the atlas lacks is an
// error naming it and saying what was generated.
import { TuningJson } from '../../generator/pipeline/schema.ts';
import { type Connection, generatedDir, hasLayer, hasUnit, manifest, model, unit, type UnitJson } from './atlas';
import { DataPathError, pathNumber } from './data-path';
import { AtlasDataError, parseUnitId, type UnitRef } from './ids';

/** The unit named by an id, or an error saying why the atlas does not have it. */
export function unitById(id: string): UnitJson {
  const r = parseUnitId(id);
  if (!manifest().models.includes(r.model)) throw new AtlasDataError(`Unit ${id}: model "${r.model}" is not in the generated atlas.`);
  if (!model(r.model).layers.some((l) => l.name === r.layer)) throw new AtlasDataError(`Unit ${id}: model ${r.model} has no layer "${r.layer}".`);
  if (!hasLayer(r.model, r.layer)) throw new AtlasDataError(`Unit ${id}: layer ${r.layer} was not generated (no layer.json in ${generatedDir()}).`);
  if (!hasUnit(r.model, r.layer, r.unit)) throw new AtlasDataError(`Unit ${id}: layer ${r.layer} has no unit ${r.unit}.`);
  return unit(r.model, r.layer, r.unit);
}

export interface Edge {
  from: UnitRef;
  to: UnitJson;
  connection: Connection;
  /** The colour scale of the target's kernel pictures. */
  maxAbs: number;
  /** Which of the target's lists holds the edge. */
  list: 'inputs' | 'excitatory' | 'inhibitory';
}

/**
 * The connection from one unit to another, from the target unit's circuit data (its top inputs by L2,
 * its most excitatory and most inhibitory inputs). Only those are generated: any other edge is an error.
 */
export function edge(fromId: string, toId: string): Edge {
  const from = parseUnitId(fromId);
  const to = unitById(toId);
  if (from.model !== to.model) throw new AtlasDataError(`Edge ${fromId} -> ${toId}: the units are in different models.`);
  const c = to.circuit;
  if (!c) throw new AtlasDataError(`Edge ${fromId} -> ${toId}: unit ${toId} has no generated circuit data.`);
  for (const list of ['inputs', 'excitatory', 'inhibitory'] as const) {
    const connection = c[list].find((x) => x.layer === from.layer && x.unit === from.unit);
    if (connection) return { from, to, connection, maxAbs: c.maxAbs, list };
  }
  throw new AtlasDataError(
    `Edge ${fromId} -> ${toId}: ${fromId} is not among the generated inputs of ${toId} (its top inputs, excitatory and inhibitory lists: ${[
      ...new Set([...c.inputs, ...c.excitatory, ...c.inhibitory].map((x) => `${x.layer}/${x.unit}`)),
    ]
      .slice(0, 12)
      .join(', ')}, ...).`,
  );
}

// One schema for tuning data: the generator's (unit.json already validates it; parsed again for the message).
const TuningView = TuningJson;
/** A tuning result as the site reads it (the generated file holds more: grids, discs, probe). */
export type Tuning = TuningJson;

/** The unit's tuning results by stimulus, in the file's order (empty when none were generated). */
export function tunings(u: UnitJson): [string, Tuning][] {
  return Object.entries(u.tuning ?? {}).map(([stimulus, t]) => {
    const parsed = TuningView.safeParse(t);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new AtlasDataError(`Unit ${u.id}: tuning.${stimulus} is not a tuning result (${i.path.join('.')}: ${i.message}). Regenerate it with the current generator.`);
    }
    return [stimulus, parsed.data];
  });
}

/** One stimulus' tuning of a unit named by id, or an error listing what was generated. */
export function tuningById(id: string, stimulus: string): Tuning {
  const u = unitById(id);
  const all = tunings(u);
  const found = all.find(([s]) => s === stimulus);
  if (!found) {
    throw new AtlasDataError(
      all.length
        ? `Unit ${id} has no tuning for stimulus "${stimulus}" (generated: ${all.map(([s]) => s).join(', ')}).`
        : `Unit ${id} has no generated tuning (add it to the atlas config's tuning and regenerate).`,
    );
  }
  return found[1];
}

/**
 * The number at a dotted path of a unit's unit.json ("tuning.circle.summary.rotationInvariance",
 * "examples.firing_rate", "circuit.inputs.0.l2"), for citing it in prose; an error names where the path
 * stops when it does not lead to a number.
 */
export function unitNumber(id: string, dotted: string): number {
  const u = unitById(id);
  try {
    return pathNumber(u, dotted);
  } catch (e) {
    if (e instanceof DataPathError) throw new AtlasDataError(`Unit ${id}: ${e.message}`);
    throw e;
  }
}
