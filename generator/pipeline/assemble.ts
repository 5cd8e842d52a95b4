// Assembles what the jobs wrote into the files the site reads (schema.ts): one unit.json per unit of
// every layer with examples, layer.json, model.json, circuits/<layer>-<unit>.json, manifest.json, and
// the full dataset images that examples link to. Cheap, deterministic, rewritten only where changed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { AtlasError } from '../errors.ts';
import { readJson, writeFileAtomic } from '../fsutil.ts';
import { loadImage } from '../model/image.ts';
import type { KerasWeights } from '../model/keras-h5.ts';
import { layerInfo, type ModelSpec, receptiveFields, unitCount } from '../model/spec.ts';
import { OBJECTIVES } from '../optvis/objectives.ts';
import { TUNE_STIMULI } from '../stimuli/tuning.ts';
import type { Dataset } from '../dataset/source.ts';
import type { LayerExamples } from '../dataset/types.ts';
import type { AtlasConfig } from './config.ts';
import type { Plan } from './plan.ts';
import { ESTIMATE_MARGIN, readBudgetRecord } from './budget.ts';
import { unitThumbnail } from './thumbnails.ts';
import { layerVersusDataset, unitVersusDataset, type VersusDataset } from './versus-dataset.ts';
import { mergeManifest, readManifest } from './manifest.ts';
import { ClassDriversJson, CircuitJson, FvEntry, LayerJson, ModelJson, PoseJson, SCHEMA, TuningJson, type UnitJson } from './schema.ts';
import { cropBox } from '../dataset/crops.ts';
import { atEdge } from '../dataset/edge.ts';
import { cropPath } from '../dataset/results.ts';

export interface DatasetInfo {
  root: string;
  digest: string;
  images: number;
  dataset: Dataset;
}

export interface AssembleContext {
  config: AtlasConfig;
  spec: ModelSpec;
  weights: KerasWeights;
  available: string[];
  out: string;
  engineName: string;
  backend: string;
  dataset: DatasetInfo | null;
  versions: Record<string, string>;
  plan: Plan;
}

/** Rewrites a file only when its content changes, so unchanged outputs keep their bytes and mtime. */
function writeIfChanged(file: string, value: unknown): void {
  const text = `${JSON.stringify(value, null, 1)}\n`;
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  writeFileAtomic(file, text);
}

/** Where the full (224 px centre-crop) image of a dataset example is published. */
export function fullImagePath(digest: string, rel: string): string {
  return `images/${digest.slice(0, 12)}/${rel.replace(/\.[^./]+$/, '')}.webp`;
}

async function writeFullImages(ctx: AssembleContext, rels: Set<string>): Promise<void> {
  if (!ctx.dataset) return;
  const byRel = new Map(ctx.dataset.dataset.images.map((im) => [im.rel, im.file]));
  const todo = [...rels].filter((r) => !existsSync(path.join(ctx.out, fullImagePath(ctx.dataset!.digest, r))));
  for (let i = 0; i < todo.length; i += 8) {
    await Promise.all(
      todo.slice(i, i + 8).map(async (rel) => {
        const src = byRel.get(rel);
        if (!src) return;
        const img = await loadImage(src, ctx.spec.inputSize);
        const bytes = Buffer.from(Uint8Array.from(img.data));
        const webp = await sharp(bytes, { raw: { width: img.width, height: img.height, channels: 3 } }).webp({ quality: 85 }).toBuffer();
        writeFileAtomic(path.join(ctx.out, fullImagePath(ctx.dataset!.digest, rel)), webp);
      }),
    );
  }
}

/** Each class's drivers from the model stage (class-drivers.json), by class index; null without them. */
function classDriversOf(out: string, spec: ModelSpec): ClassDriversJson[] | null {
  type Raw = { available: boolean; head: string; source: string; dataset: string; classes: Array<Omit<ClassDriversJson, 'head' | 'source' | 'attribution'> & { attribution: Omit<NonNullable<ClassDriversJson['attribution']>, 'dataset'> | null }> };
  const raw = readJson<Raw>(path.join(out, spec.id, 'class-drivers.json'));
  if (!raw?.available) return null;
  return raw.classes.map((c) => ClassDriversJson.parse({ class: c.class, head: raw.head, source: raw.source, weight: c.weight, attribution: c.attribution && { ...c.attribution, dataset: raw.dataset } }));
}

type UnitCircuitEntry = NonNullable<UnitJson['circuit']> & { unit: number };

export async function assemble(ctx: AssembleContext): Promise<void> {
  const { spec, out, plan } = ctx;
  const rfs = receptiveFields(spec);
  const layerJsons = new Map<string, LayerJson>();
  const thumbnails = new Map<string, UnitJson['thumbnail']>();
  const fullRels = new Set<string>();
  const digest = ctx.dataset?.digest ?? '';

  const drivers = classDriversOf(out, spec);
  const budget = readBudgetRecord(out, spec.id);
  for (const layer of plan.layers) {
    const l = spec.layers.find((x) => x.name === layer)!;
    const units = unitCount(l);
    const examples = readJson<LayerExamples>(path.join(out, spec.id, layer, 'examples.json'));
    const circuits = readJson<{ units: UnitCircuitEntry[] }>(path.join(out, spec.id, layer, 'circuits.json'));
    const rf = layerInfo(spec).find((x) => x.name === layer)!.rf;
    const layerUnits: LayerJson['units'] = [];
    const versus: VersusDataset[] = [];
    for (let u = 0; u < units; u++) {
      const fv: Record<string, FvEntry> = {};
      const grid: Record<string, FvEntry> = {};
      const maco: Record<string, FvEntry> = {};
      for (const o of OBJECTIVES) {
        for (const [prefix, into] of [['fv', fv], ['grid', grid], ['maco', maco]] as const) {
          const raw = readJson<Record<string, unknown>>(path.join(out, spec.id, layer, String(u), `${prefix}-${o}.json`));
          if (raw) into[o] = FvEntry.parse(raw);
        }
      }
      const ex = examples?.units[u];
      if (ex && !Array.isArray(ex.negative)) {
        throw new AtlasError(
          `${path.join(out, spec.id, layer, 'examples.json')} is from an older generator (no negative examples)`,
          `rerun its examples: atlas generate --only ${layer} (or without --only)`,
        );
      }
      if (ex) for (const e of [...ex.top, ...ex.bottom, ...ex.negative]) fullRels.add(e.image);
      // `field`: the receptive field in the 224 px input (the crop's box); `edge`: it runs past the photo's
      // edge (the crop is clipped; the unit saw padding there).
      const withFull = (list: NonNullable<typeof ex>['top']) =>
        list.map((e) => ({ ...e, full: fullImagePath(digest, e.image), ...(rf ? { field: cropBox(rf, e.x, e.y, spec.inputSize), edge: atEdge(rf, e.x, e.y, spec.inputSize) } : {}) }));
      const crop = ex?.top[0]?.crop;
      const versusDataset = unitVersusDataset({ full: fv, grid, maco }, ex?.top[0]?.activation);
      versus.push(versusDataset);
      const thumbnail = await unitThumbnail(out, `${spec.id}/${layer}/${u}`, { full: fv, grid, maco }, crop);
      thumbnails.set(`${layer}:${u}`, thumbnail);
      const circuit = circuits?.units[u];
      const tuning: Record<string, TuningJson> = {};
      for (const st of TUNE_STIMULI) {
        const raw = readJson<Record<string, unknown>>(path.join(out, spec.id, layer, String(u), `tuning-${st}.json`));
        if (raw) tuning[st] = TuningJson.parse(raw);
      }
      const pose = poseOf(out, spec.id, layer, u);
      const unitJson: UnitJson = {
        schema: SCHEMA,
        id: `${spec.id}/${layer}/${u}`,
        model: spec.id,
        layer,
        unit: u,
        thumbnail,
        fv,
        grid,
        maco,
        examples: ex
          ? {
              top: withFull(ex.top),
              bottom: withFull(ex.bottom),
              negative: withFull(ex.negative),
              classes: ex.classes,
              histogram: ex.histogram,
              firing_rate: ex.firing_rate,
              ...(ex.position_rate !== undefined ? { position_rate: ex.position_rate } : {}),
              silent: ex.silent,
              images: ex.images,
              skipped: ex.skipped.length,
            }
          : null,
        circuit: circuit ? (({ unit: _u, ...rest }) => rest)(circuit) : null,
        ...(Object.keys(tuning).length ? { tuning } : {}),
        ...(pose ? { pose } : {}),
        ...(layer === spec.classifier?.layer && drivers?.[u] ? { drivers: drivers[u] } : {}),
        versusDataset,
      };
      writeIfChanged(path.join(out, spec.id, layer, String(u), 'unit.json'), unitJson);
      layerUnits.push({
        unit: u,
        thumbnail,
        topClasses: (ex?.classes ?? []).slice(0, 3).map((c) => ({ wnid: c.wnid, label: c.label })),
        firing_rate: ex?.firing_rate ?? null,
        fv: Object.keys(fv),
        grid: Object.keys(grid),
        maco: Object.keys(maco),
        crop: crop ?? null,
      });
    }
    const shape = layerInfo(spec).find((x) => x.name === layer)!.shape;
    // A layer atlas the last budgeted run left out, while its pictures are still missing (a later run may have added them).
    const rendered = (recipe: string) => layerUnits.filter((lu) => lu[recipe === 'full' ? 'fv' : (recipe as 'grid' | 'maco')].length > 0).length;
    const omitted = (budget?.atlases ?? [])
      .filter((d) => d.layer === layer && !d.admitted && rendered(d.recipe) < d.units)
      .map((d) => ({ recipe: d.recipe, units: d.units, rendered: rendered(d.recipe), pending: d.pending, headStart: d.headStart ?? 0, estimateMinutes: d.estimate / 60, neededMinutes: (d.estimate * ESTIMATE_MARGIN) / 60, leftMinutes: d.left / 60, budgetMinutes: budget!.minutes }));
    const lj = LayerJson.parse({ schema: SCHEMA, model: spec.id, layer, shape, rf: rfs.get(layer)!, units: layerUnits, omitted, versusDataset: layerVersusDataset(versus) });
    layerJsons.set(layer, lj);
    writeIfChanged(path.join(out, spec.id, layer, 'layer.json'), lj);
  }

  // Circuit graphs, with each node's thumbnail.
  for (const c of plan.circuits) {
    const g = readJson<{ rank: 'weight' | 'attribution'; graph: { nodes: Array<{ id: string; layer: string; unit: number; depth: number; minTop: number; label?: string }>; edges: CircuitJson['edges'] } }>(
      path.join(out, spec.id, c.layer, String(c.unit), 'graph.json'),
    );
    if (!g) continue;
    const maxAbs = g.graph.edges.reduce((m, e) => Math.max(m, ...e.kernel.flat().map(Math.abs)), 0);
    const cj = CircuitJson.parse({
      schema: SCHEMA,
      id: `${c.layer}-${c.unit}`,
      model: spec.id,
      layer: c.layer,
      unit: c.unit,
      depth: c.depth,
      top: c.top,
      rank: g.rank,
      nodes: g.graph.nodes.map((n) => ({ ...n, thumbnail: thumbnails.get(`${n.layer}:${n.unit}`) ?? null })),
      edges: g.graph.edges,
      maxAbs,
    });
    writeIfChanged(path.join(out, 'circuits', `${c.layer}-${c.unit}.json`), cj);
  }

  const check = readJson<Record<string, unknown>>(path.join(out, spec.id, 'model-check.json'));
  const classification = check
    ? {
        available: Boolean(check.available),
        ...(check.reason ? { reason: String(check.reason) } : {}),
        ...(Array.isArray(check.missing) ? { missing: check.missing.map(String), weights: String(check.weights) } : {}),
        ...(Array.isArray(check.results)
          ? {
              results: (check.results as Array<{ image: string; top: unknown[] }>).map((r) => {
                fullRels.add(r.image);
                return { ...r, full: fullImagePath(digest, r.image) };
              }),
            }
          : {}),
        ...(check.accuracy ? { accuracy: check.accuracy } : {}),
      }
    : { available: false, reason: 'The model check has not been generated yet.' };
  await writeFullImages(ctx, fullRels);

  const model = ModelJson.parse({
    schema: SCHEMA,
    id: spec.id,
    name: spec.name,
    description: ctx.config.description,
    inputSize: spec.inputSize,
    layers: layerInfo(spec).map((l) => {
      const lj = layerJsons.get(l.name);
      return {
        name: l.name,
        kind: l.kind,
        shape: l.shape,
        params: l.params,
        rf: l.rf,
        available: ctx.available.includes(l.name),
        generated: lj
          ? {
              units: lj.units.length,
              fv: lj.units.filter((u) => u.fv.length > 0).length,
              grid: lj.units.filter((u) => u.grid.length > 0).length,
              maco: lj.units.filter((u) => u.maco.length > 0).length,
              examples: lj.units.filter((u) => u.firing_rate !== null).length,
            }
          : { units: 0, fv: 0, examples: 0 },
      };
    }),
    classification,
    provenance: {
      weights: { file: path.basename(ctx.weights.path), sha256: ctx.weights.sha256 },
      dataset: ctx.dataset ? { root: path.basename(ctx.dataset.root), digest: ctx.dataset.digest, images: ctx.dataset.images, skipped: ctx.dataset.dataset.skipped.length } : null,
      engine: ctx.engineName,
      backend: ctx.backend,
      visualization: { ...ctx.config.visualization, overrides: ctx.config.overrides, grid: ctx.config.grid, maco: ctx.config.maco },
      versions: ctx.versions,
    },
  });
  writeIfChanged(path.join(out, spec.id, 'model.json'), model);

  const own = { model: spec.id, description: ctx.config.description, featured: plan.featured, circuits: plan.circuits.map((c) => ({ id: `${c.layer}-${c.unit}`, layer: c.layer, unit: c.unit })) };
  writeIfChanged(path.join(out, 'manifest.json'), mergeManifest(readManifest(out), own, (m) => existsSync(path.join(out, m, 'model.json'))));
}

/** The unit's pose.json (the pose stage's), each example with its receptive-field crop (the dataset stage's), or null. */
function poseOf(out: string, model: string, layer: string, unit: number): PoseJson | null {
  const raw = readJson<Record<string, unknown>>(path.join(out, model, layer, String(unit), 'pose.json'));
  if (!raw) return null;
  const p = PoseJson.parse(raw);
  return { window: p.window, poses: p.poses, examples: p.examples.map((e) => ({ ...e, crop: cropPath(model, layer, e.image, e.x, e.y) })), retained: p.retained, weakest: p.weakest, reproduced: p.reproduced, ...(p.edge !== undefined ? { edge: p.edge } : {}), ...(p.where ? { where: p.where } : {}) };
}
