// /data/circuits/<layer>-<unit>.json: a circuit graph (nodes, edges with kernels).
import type { GetStaticPaths } from 'astro';
import { circuit, circuits } from '../../../lib/atlas';
import { json } from '../../../lib/json';

export const getStaticPaths = (() => circuits().map((c) => ({ params: { id: c.id } }))) satisfies GetStaticPaths;
export const GET = ({ params }: { params: { id: string } }) => json(circuit(params.id));
