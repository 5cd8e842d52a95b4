// /data/<model>/model.json: layers, what was generated, the model check and the provenance.
import type { GetStaticPaths } from 'astro';
import { model, models } from '../../../lib/atlas';
import { json } from '../../../lib/json';

export const getStaticPaths = (() => models().map((m) => ({ params: { model: m.id } }))) satisfies GetStaticPaths;
export const GET = ({ params }: { params: { model: string } }) => json(model(params.model));
