// A model card: what an ONNX file alone does not say (its name, how images are scaled and normalized,
// which classes its outputs are, friendly layer names). Written by `atlas import-model`, read beside the
// .onnx (`<id>.card.json`) or from the project's models/cards/<id>.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AtlasError } from '../errors.ts';
import { projectFile } from '../paths.ts';

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const ModelCardSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-" (it becomes a URL segment)'),
    name: z.string().min(1),
    /** The .onnx file, inside $ATLAS_MODELS_DIR/<id>/. */
    file: z.string().min(1),
    input: z
      .object({
        size: z.number().int().positive(),
        order: z.enum(['RGB', 'BGR']).default('RGB'),
        scale: z.number().positive().default(1),
        mean: triple.default([0, 0, 0]),
        std: triple.default([1, 1, 1]),
      })
      .strict(),
    /** A Keras-format class index file shipped in data/. */
    classIndex: z.string().optional(),
    classifier: z.object({ layer: z.string(), outputs: z.enum(['probabilities', 'logits']) }).strict().optional(),
    /** Graph values published as layers, with their names (permalinks); default: detected from the graph. */
    layers: z.array(z.object({ name: z.string().regex(/^\w+$/, 'letters, digits and "_" (it becomes a URL segment and a circuit node id)'), value: z.string() }).strict()).optional(),
  })
  .strict();

export type ModelCard = z.infer<typeof ModelCardSchema>;

export function parseCard(json: unknown, where: string): ModelCard {
  const r = ModelCardSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AtlasError(`${where}: ${issue.path.join('.') || 'card'}: ${issue.message}`, 'fix the model card (see `atlas import-model --help`)');
  }
  return r.data;
}

/** The card of model `id`: beside its .onnx in `dir`, else the project's models/cards/<id>.json; null when neither exists. */
export function findCard(id: string, dir: string): { card: ModelCard; file: string } | null {
  for (const file of [path.join(dir, `${id}.card.json`), projectFile('models', 'cards', `${id}.json`)]) {
    if (!existsSync(file)) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new AtlasError(`${file} is not valid JSON: ${(e as Error).message}`, 'fix the model card');
    }
    const card = parseCard(json, file);
    if (card.id !== id) throw new AtlasError(`${file} is the card of '${card.id}', not of '${id}'`, `rename it or set "id": "${id}"`);
    return { card, file };
  }
  return null;
}

/** The ids of every imported model with a card (the project's models/cards/, and <id>/<id>.card.json under `modelsRoot`). */
export function cardIds(modelsRoot: string): string[] {
  const ids = new Set<string>();
  const projectCards = projectFile('models', 'cards');
  if (existsSync(projectCards)) for (const f of readdirSync(projectCards)) if (f.endsWith('.json')) ids.add(f.slice(0, -'.json'.length));
  if (existsSync(modelsRoot)) {
    for (const d of readdirSync(modelsRoot, { withFileTypes: true })) if (d.isDirectory() && existsSync(path.join(modelsRoot, d.name, `${d.name}.card.json`))) ids.add(d.name);
  }
  return [...ids].sort();
}
