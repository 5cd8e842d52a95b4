// /data/manifest.json: what the atlas holds (models, featured units, circuits).
import { manifest } from '../../lib/atlas';
import { json } from '../../lib/json';

export const GET = () => json(manifest());
