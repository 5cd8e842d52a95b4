// /data/<model>/<layer>.json: the layer's units (thumbnail, top classes, firing rate, objectives).
import type { GetStaticPaths } from 'astro';
import { layer, layers, models } from '../../../lib/atlas';
import { json } from '../../../lib/json';

export const getStaticPaths = (() => models().flatMap((m) => layers(m.id).map((l) => ({ params: { model: m.id, layer: l.layer } })))) satisfies GetStaticPaths;
export const GET = ({ params }: { params: { model: string; layer: string } }) => json(layer(params.model, params.layer));
