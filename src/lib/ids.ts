// Ids and permalinks of the atlas: unit ids used by write-ups ("vgg19/block3_conv4/8"), circuit node ids
// ("layer:unit") and every page's and data file's URL. Pure: nothing here reads the generated folder.

export class AtlasDataError extends Error {
  override name = 'AtlasDataError';
}

/** Where the site publishes the generated images: /atlas/<path relative to the generated folder>. */
export const ASSET_PREFIX = '/atlas/';
/** The network's input as a connection source (the image's B, G, R channels): it has no pages. */
export const INPUT_LAYER = 'input';

/** A circuit's node id ("layer:unit") as layer and unit. */
export function parseNodeId(id: string): { layer: string; unit: number } {
  const m = /^(\w+):(\d+)$/.exec(id);
  if (!m) throw new AtlasDataError(`Malformed circuit node id "${id}" (expected layer:unit).`);
  return { layer: m[1], unit: Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------------
// Ids used by write-ups: "vgg19/block3_conv4/8"

export interface UnitRef {
  model: string;
  layer: string;
  unit: number;
}

export function parseUnitId(id: string): UnitRef {
  const m = /^([\w.-]+)\/(\w+)\/(\d+)$/.exec(id.trim());
  if (!m) throw new AtlasDataError(`Malformed unit id "${id}" (expected model/layer/unit, e.g. vgg19/block3_conv4/8).`);
  return { model: m[1], layer: m[2], unit: Number(m[3]) };
}

export function unitId(r: UnitRef): string {
  return `${r.model}/${r.layer}/${r.unit}`;
}

// ---------------------------------------------------------------------------------------------------
// URLs (stable permalinks, trailing slash)

/** unit.json's top-level keys and the unit page's sections that show them. */
const UNIT_SECTIONS: Record<string, string> = {
  fv: '#fv',
  grid: '#fv',
  maco: '#fv',
  versusDataset: '#fv',
  examples: '#examples',
  circuit: '#circuit',
  drivers: '#drivers',
  tuning: '#tuning',
  pose: '#pose',
};

export const url = {
  home: () => '/',
  model: (m: string) => `/models/${m}/`,
  layer: (m: string, l: string) => `/models/${m}/${l}/`,
  unit: (m: string, l: string, u: number) => `/models/${m}/${l}/${u}/`,
  /** The unit page's section that shows a unit.json path (a write-up's cited number links there). */
  unitAt: (m: string, l: string, u: number, path: string) => `/models/${m}/${l}/${u}/${UNIT_SECTIONS[path.split('.')[0] ?? ''] ?? ''}`,
  circuit: (id: string) => `/circuits/${id}/`,
  writeup: (slug: string) => `/writeups/${slug}/`,
  asset: (file: string) => `${ASSET_PREFIX}${file.split('/').map(encodeURIComponent).join('/')}`,
  data: {
    index: () => '/data/',
    manifest: () => '/data/manifest.json',
    model: (m: string) => `/data/${m}/model.json`,
    layer: (m: string, l: string) => `/data/${m}/${l}.json`,
    unit: (m: string, l: string, u: number) => `/data/${m}/${l}/${u}.json`,
    circuit: (id: string) => `/data/circuits/${id}.json`,
  },
};
