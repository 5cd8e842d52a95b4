// The feature-visualization recipes as the site names them, and what a unit's picture is. A layer atlas
// renders every unit with the cheap grid recipe (config.grid) while featured units and circuit inputs get
// Lucid's full recipe (config.visualization), and may get MACO's (config.maco: the phase of a fixed,
// natural-image magnitude spectrum) beside it; pages say which one a picture is, since a 64 px, 112-step
// grid image is not the same evidence as a 512-step full one. Pure: the data comes in, words and counts go out.
import type { FvEntry, LayerJson, LayerUnit, Thumbnail, UnitJson } from './atlas';
import { FvEntry as FvEntrySchema } from '../../generator/pipeline/schema.ts';
import { num } from './format';

export type Recipe = FvEntry['recipe'];
/** What a tile shows: a full- or grid-recipe visualization, the top dataset crop, or nothing. */
export type TileKind = Recipe | 'crop' | 'none';

export const RECIPE_LABEL: Record<Recipe, string> = { full: 'full recipe', grid: 'grid recipe', maco: 'MACO' };

/** Objectives in the order the schema lists them (the generator's), for a stable page order. */
const ORDER: readonly string[] = FvEntrySchema.shape.objective.options;

export function tileKind(t: Thumbnail | null): TileKind {
  if (!t) return 'none';
  if (t.kind === 'example') return 'crop';
  // A thumbnail written before the grid recipe existed carries no recipe: it was a full one.
  if (t.kind === 'fv') return t.recipe ?? 'full';
  return 'none';
}

/** A unit's visualizations of one recipe, by objective. */
export function entriesOf(u: UnitJson, recipe: Recipe): Record<string, FvEntry> {
  return recipe === 'full' ? u.fv : recipe === 'grid' ? u.grid : u.maco;
}

/** The recipe of a visualization thumbnail, or null for a crop or no picture. */
export function recipeOf(t: Thumbnail | null): Recipe | null {
  const k = tileKind(t);
  return k === 'crop' || k === 'none' ? null : k;
}

/** How many of the layer's tiles show each kind of picture. */
export function tileCounts(units: LayerUnit[]): Record<TileKind, number> {
  const out: Record<TileKind, number> = { full: 0, grid: 0, maco: 0, crop: 0, none: 0 };
  for (const u of units) out[tileKind(u.thumbnail)]++;
  return out;
}

/**
 * "64 px, 128 steps, lr 0.1 cosine": a recipe's settings in a few words (the lr with its schedule); MACO's
 * adds its optimizer and its views ("NAdam, 3 crops of 25-30% -> 128 px").
 */
export function settingsText(s: FvEntry['settings']): string {
  const base = `${s.size} px, ${s.steps} steps, lr ${s.lr} ${s.schedule}${s.relu ? ', post-ReLU' : ''}`;
  if (s.param !== 'maco' || !s.maco) return base;
  const pct = (v: number) => Math.round(v * 100);
  return `${base}, ${s.optimizer === 'nadam' ? 'NAdam' : 'Adam'}, ${s.maco.crops} crops of ${pct(s.maco.box[0])}-${pct(s.maco.box[1])}% -> ${s.maco.input} px`;
}

/** How an entry's images were transformed each step, in words (MACO's are its crops and noise, Lucid's a warp). */
export function viewsText(s: FvEntry['settings']): string {
  if (s.param === 'maco' && s.maco) return `crops with noise ${s.maco.noise}`;
  return `transforms ${s.transforms}${s.pad === undefined ? '' : `, pad ${s.pad} px`}`;
}

/**
 * The settings of the visualizations behind the tiles of one kind (the entry each thumbnail was made
 * from: the channel objective, else the first), distinct and most common first. Usually one line; more
 * when config overrides changed some units.
 */
export function tileSettings(units: UnitJson[], recipe: Recipe): string[] {
  const counts = new Map<string, number>();
  for (const u of units) {
    if (tileKind(u.thumbnail) !== recipe) continue;
    const entries = entriesOf(u, recipe);
    const e = entries.channel ?? Object.values(entries)[0];
    if (!e) continue;
    const key = settingsText(e.settings);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
}

const RECIPES: readonly Recipe[] = FvEntrySchema.shape.recipe.removeDefault().options;

/** Every visualization of the unit, of any recipe. */
export function allEntries(u: UnitJson): FvEntry[] {
  return RECIPES.flatMap((r) => Object.values(entriesOf(u, r)));
}

/** The unit's visualizations by objective, full recipe first (then grid, then MACO), objectives in the generator's order. */
export function fvByObjective(u: UnitJson): Array<{ objective: string; entries: FvEntry[] }> {
  const names = [...new Set(RECIPES.flatMap((r) => Object.keys(entriesOf(u, r))))];
  names.sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
  return names.map((objective) => ({ objective, entries: RECIPES.map((r) => entriesOf(u, r)[objective]).filter((e): e is FvEntry => e !== undefined) }));
}

/** Which value an entry's objective optimized: the post-ReLU one (settings.relu, or before pre-ReLU values were recorded) or the pre-ReLU one. */
export const optimizedValue = (e: FvEntry): 'pre-ReLU' | 'post-ReLU' => (e.settings.relu || !e.activation.pre ? 'post-ReLU' : 'pre-ReLU');

/** The value an objective's entries optimized, "pre-ReLU" or "post-ReLU"; null when their recipes differ. */
export function optimizedWords(entries: FvEntry[]): string | null {
  const kinds = [...new Set(entries.map(optimizedValue))];
  return kinds.length === 1 ? kinds[0] : null;
}

/** What the optimization reached, in the objective's own terms (pre-ReLU when recorded). */
export function reachedText(objective: string, e: FvEntry): string {
  const pre = e.activation.pre;
  if (!pre) return `post-ReLU mean ${num(e.activation.mean)}`;
  if (e.settings.relu) return objective === 'neuron' ? `post-ReLU centre ${num(Math.max(0, pre.centre))}` : `post-ReLU mean ${num(e.activation.mean)}`;
  if (objective === 'neuron') return `pre-ReLU centre ${num(pre.centre)}`;
  return `pre-ReLU mean ${num(pre.mean)}`;
}

const times = (v: number) => `${v.toFixed(2)}×`;

/**
 * "2.10× the top dataset example’s 7,750": the unit's channel image of this recipe, its max over positions
 * against the strongest activation any dataset image gave the unit (pipeline/versus-dataset.ts); null when
 * there is no such pair.
 */
export function versusDatasetText(u: UnitJson, recipe: Recipe): string | null {
  const r = u.versusDataset[recipe];
  const top = u.examples?.top[0];
  if (r === undefined || !top) return null;
  const text = `${times(r)} the top dataset example’s ${num(top.activation)}`;
  // Below 1 only MACO is expected to be: it optimizes the phase alone, the magnitude held to natural images'.
  return recipe === 'maco' && r < 1 ? `${text}, below it: MACO optimizes only the spectrum’s phase and holds its magnitude to natural images’, trading activation for a more photo-like image` : text;
}

/** Per recipe: "grid recipe: 256 of 256 units (1.13×–4.21×, median 1.94×)", how many beat their top dataset example ("1 of 1 unit (2.04×)"). */
export function layerVersusText(l: LayerJson): string[] {
  return l.versusDataset.map((s) => {
    const spread = s.units === 1 ? times(s.min) : `${times(s.min)}–${times(s.max)}, median ${times(s.median)}`;
    return `${RECIPE_LABEL[s.recipe]}: ${s.above} of ${s.units} ${s.units === 1 ? 'unit' : 'units'} (${spread})`;
  });
}
