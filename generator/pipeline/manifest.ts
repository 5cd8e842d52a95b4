// manifest.json: the models an output folder holds, their featured units and circuits. A folder may hold
// several models' atlases (VGG19 and SqueezeNet beside each other): generating one model replaces its own
// entries and keeps the others' whose folders are still there.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { Manifest, SCHEMA } from './schema.ts';

export interface ModelEntries {
  model: string;
  description: string;
  featured: string[];
  circuits: Array<{ id: string; layer: string; unit: number }>;
}

/** The previous manifest of `out`, or null (none, unreadable, or of another schema: then it is rebuilt). */
export function readManifest(out: string): Manifest | null {
  const file = path.join(out, 'manifest.json');
  if (!existsSync(file)) return null;
  const r = Manifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return r.success ? r.data : null;
}

/** Pure: `own` replaces its model's entries in `previous`; models in `keep` (their folder exists) stay, in their order. */
export function mergeManifest(previous: Manifest | null, own: ModelEntries, keep: (model: string) => boolean): Manifest {
  const others = (previous?.models ?? []).filter((m) => m !== own.model && keep(m));
  const descriptions = { ...Object.fromEntries(others.map((m) => [m, previous?.descriptions?.[m] ?? previous?.description ?? ''])), [own.model]: own.description };
  const circuits = [
    ...(previous?.circuits ?? []).filter((c) => others.includes(c.model ?? previous!.models[0])).map((c) => ({ ...c, model: c.model ?? previous!.models[0] })),
    ...own.circuits.map((c) => ({ ...c, model: own.model })),
  ];
  const clash = circuits.find((c, i) => circuits.findIndex((d) => d.id === c.id) !== i);
  if (clash) {
    throw new AtlasError(`circuit '${clash.id}' is in two models of this output folder`, 'give the models different layer names, or generate them into different folders (config "out")');
  }
  // A model keeps its place (the first stays the site's); a new one goes last.
  const kept = (previous?.models ?? []).filter((m) => others.includes(m) || m === own.model);
  const models = kept.includes(own.model) ? kept : [...kept, own.model];
  return Manifest.parse({
    schema: SCHEMA,
    // The folder's first model describes the site (the default atlas); each model keeps its own.
    description: descriptions[models[0]],
    descriptions,
    models,
    featured: models.flatMap((m) => (m === own.model ? own.featured : (previous?.featured ?? []).filter((f) => f.split('/')[0] === m))),
    circuits: models.flatMap((m) => circuits.filter((c) => c.model === m)),
  });
}
