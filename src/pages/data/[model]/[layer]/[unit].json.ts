// /data/<model>/<layer>/<unit>.json: everything about one unit (the generator's unit.json).
import type { GetStaticPaths } from 'astro';
import { layers, models, unit } from '../../../../lib/atlas';
import { json } from '../../../../lib/json';

export const getStaticPaths = (() =>
  models().flatMap((m) => layers(m.id).flatMap((l) => l.units.map((u) => ({ params: { model: m.id, layer: l.layer, unit: String(u.unit) } }))))) satisfies GetStaticPaths;
export const GET = ({ params }: { params: { model: string; layer: string; unit: string } }) => json(unit(params.model, params.layer, Number(params.unit)));
