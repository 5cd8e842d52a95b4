// Claims a write-up makes about the generated data, checked when the site is built: a claim that the data
// no longer supports fails the build (ClaimError), so prose cannot go stale unnoticed. Only comparisons
// and ranks of what the generator wrote, no computation. Used by the <Claim>, <Rank> and <Kernel> embeds.
import type { Connection, UnitJson, UnitRef } from './atlas';
import { pathNumber, walkPath } from './data-path';
import { num } from './format';

/** The data contradicts the claim (as opposed to the claim naming data that does not exist). */
export class ClaimError extends Error {
  override name = 'ClaimError';
}

/** A bound is a number, or a path in the same unit.json whose number it is. */
export type Bound = number | string;

export interface ValueClaim {
  /** A dotted path in unit.json; "*" claims something of every element (data-path.ts). */
  path: string;
  gt?: Bound;
  ge?: Bound;
  lt?: Bound;
  le?: Bound;
  /** Equality with a string, number or boolean (e.g. a sign: "excitatory"). */
  is?: string | number | boolean;
  /** With "*": the claim covers the first `top` elements, and the list must have that many. */
  top?: number;
}

export interface Checked {
  /** The concrete values the claim covers. */
  values: Array<{ path: string; value: unknown }>;
  /** What was checked, in words, for the page (a tooltip) and for error messages. */
  summary: string;
}

const RELATIONS = [
  ['gt', '>', (a: number, b: number) => a > b],
  ['ge', '≥', (a: number, b: number) => a >= b],
  ['lt', '<', (a: number, b: number) => a < b],
  ['le', '≤', (a: number, b: number) => a <= b],
] as const;

const show = (v: unknown) => (typeof v === 'number' ? num(v) : JSON.stringify(v));

/** Checks a claim about values of one unit's unit.json; throws ClaimError with what the data says. */
export function checkValueClaim(u: UnitJson, c: ValueClaim): Checked {
  if (c.top !== undefined && !(Number.isInteger(c.top) && c.top > 0)) throw new Error(`top must be a positive integer, got ${JSON.stringify(c.top)}.`);
  if (c.top !== undefined && !c.path.split('.').includes('*')) throw new Error(`top={${c.top}} needs a path with "*" (e.g. circuit.inputs.*.sign).`);
  const bounds = RELATIONS.filter(([k]) => c[k] !== undefined).map(([k, sym, test]) => {
    const b = c[k] as Bound;
    return { sym, test, value: typeof b === 'number' ? b : pathNumber(u, b), label: typeof b === 'number' ? num(b) : `${b} (${num(pathNumber(u, b))})` };
  });
  if (!bounds.length && c.is === undefined) throw new Error('a claim needs a condition: gt, ge, lt, le (a number or a path) or is.');
  const values = walkPath(u, c.path, c.top);
  const conditions = [...bounds.map((b) => `${b.sym} ${b.label}`), ...(c.is !== undefined ? [`= ${show(c.is)}`] : [])].join(' and ');
  const many = values.length > 1 || c.path.split('.').includes('*');
  const summary = many ? `${c.path}${c.top ? ` (first ${c.top})` : ''}: all ${values.length} values ${conditions}` : `${c.path} is ${show(values[0]?.value)}; claimed: ${conditions}`;
  for (const { path, value } of values) {
    if (c.is !== undefined && value !== c.is) throw new ClaimError(`${path} is ${show(value)}, not ${show(c.is)}.`);
    if (!bounds.length) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${path} is ${show(value)}, not a number to compare.`);
    for (const b of bounds) if (!b.test(value, b.value)) throw new ClaimError(`${path} is ${num(value)}, not ${b.sym} ${b.label}.`);
  }
  return { values, summary };
}

// ---------------------------------------------------------------------------------------------------
// Ranks among a unit's inputs (unit.json circuit: top-k by L2, most positive sums, most negative sums)

export const RANK_BY = ['l2', 'excitatory', 'inhibitory'] as const;
export type RankBy = (typeof RANK_BY)[number];
const LIST: Record<RankBy, 'inputs' | 'excitatory' | 'inhibitory'> = { l2: 'inputs', excitatory: 'excitatory', inhibitory: 'inhibitory' };
export const RANK_WORDS: Record<RankBy, string> = { l2: 'inputs by kernel L2 norm', excitatory: 'excitatory inputs (largest kernel sum)', inhibitory: 'inhibitory inputs (most negative kernel sum)' };

function rankList(u: UnitJson, by: RankBy): Connection[] {
  if (!(RANK_BY as readonly string[]).includes(by)) throw new Error(`by must be one of ${RANK_BY.join(', ')}, got ${JSON.stringify(by)}.`);
  if (!u.circuit) throw new Error(`unit ${u.id} has no generated circuit data.`);
  return u.circuit[LIST[by]];
}

const name = (c: Pick<Connection, 'layer' | 'unit'>) => `${c.layer}/${c.unit}`;

export interface RankClaim {
  by: RankBy;
  /** 1-based rank: the input at that rank, or (with `unit`) the rank the unit must have. */
  rank?: number;
  /** With `unit`: the unit must be among the first `within`. */
  within?: number;
  unit?: UnitRef;
}

export interface RankedInput {
  connection: Connection;
  rank: number;
  /** "block3_conv3/173 is rank 1 of the excitatory inputs (largest kernel sum) of vgg19/block3_conv4/166" */
  summary: string;
  /** The same from the target's side, for a caption: "rank 1 of its excitatory inputs (largest kernel sum)". */
  phrase: string;
}

/** The input at a rank, or the check that a given input has that rank (or is within the top k). */
export function checkRank(u: UnitJson, c: RankClaim): RankedInput {
  const list = rankList(u, c.by);
  const words = `${RANK_WORDS[c.by]} of ${u.id}`;
  const generated = `(the atlas keeps the top ${list.length}: ${list.map(name).join(', ')})`;
  for (const [k, v] of [['rank', c.rank], ['within', c.within]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new Error(`${k} must be an integer >= 1, got ${JSON.stringify(v)}.`);
    if (v !== undefined && v > list.length) throw new Error(`${k} ${v} is past the ${list.length} ${RANK_WORDS[c.by]} generated for ${u.id}.`);
  }
  if (!c.unit) {
    if (c.rank === undefined) throw new Error('needs rank={n} (or unit="..." with rank or within).');
    if (c.within !== undefined) throw new Error('within needs unit="...": which unit is among the top k.');
    const connection = list[c.rank - 1];
    return { connection, rank: c.rank, summary: `${name(connection)} is rank ${c.rank} of the ${words}`, phrase: `rank ${c.rank} of its ${RANK_WORDS[c.by]}` };
  }
  if ((c.rank === undefined) === (c.within === undefined)) throw new Error('with unit="...", give exactly one of rank={n} or within={k}.');
  const target = c.unit;
  const i = list.findIndex((x) => x.layer === target.layer && x.unit === target.unit);
  const claimed = c.rank !== undefined ? `rank ${c.rank}` : `among the top ${c.within}`;
  if (i < 0) throw new ClaimError(`${name(target)} is not among the ${words} ${generated}; the claim says ${claimed}.`);
  const rank = i + 1;
  if ((c.rank !== undefined && rank !== c.rank) || (c.within !== undefined && rank > c.within)) {
    throw new ClaimError(`${name(target)} is rank ${rank} of the ${words}, not ${claimed} ${generated}.`);
  }
  const where = c.rank !== undefined ? `rank ${rank}` : `rank ${rank}, among the top ${c.within},`;
  return { connection: list[i], rank, summary: `${name(target)} is ${where} of the ${words}`, phrase: `${where} of its ${RANK_WORDS[c.by]}` };
}

// ---------------------------------------------------------------------------------------------------
// The shape of a kernel (a connection's [y][x] weights)

export const KERNEL_SIGNS = ['positive', 'negative'] as const;
export type KernelSign = (typeof KERNEL_SIGNS)[number];

export interface KernelClaim {
  /** Every weight of the window has this sign. */
  sign?: KernelSign;
  /** The centre weight has the largest magnitude of the window. */
  peak?: 'centre';
}

/** The kernel properties claimed, in words, or a ClaimError naming the weight that contradicts one. */
export function checkKernel(c: Connection, claim: KernelClaim): string[] {
  const said: string[] = [];
  const k = c.kernel;
  const cells = k.flatMap((row, y) => row.map((w, x) => ({ w, y, x })));
  const at = (p: { y: number; x: number; w: number }) => `[${p.y}][${p.x}] = ${num(p.w)}`;
  if (claim.sign !== undefined) {
    if (!(KERNEL_SIGNS as readonly string[]).includes(claim.sign)) throw new Error(`sign must be "positive" or "negative", got ${JSON.stringify(claim.sign)}.`);
    const bad = cells.find((p) => (claim.sign === 'positive' ? !(p.w > 0) : !(p.w < 0)));
    if (bad) throw new ClaimError(`the kernel from ${name(c)} is not ${claim.sign} over the whole window: ${at(bad)}.`);
    said.push(`${claim.sign} over the whole ${k.length}×${k[0]?.length ?? 0} window`);
  }
  if (claim.peak !== undefined) {
    if (claim.peak !== 'centre') throw new Error(`peak must be "centre", got ${JSON.stringify(claim.peak)}.`);
    if (k.length % 2 === 0 || (k[0]?.length ?? 0) % 2 === 0) throw new Error(`a ${k.length}×${k[0]?.length ?? 0} kernel has no centre.`);
    const centre = cells.find((p) => p.y === (k.length - 1) / 2 && p.x === (k[0].length - 1) / 2)!;
    const bigger = cells.find((p) => Math.abs(p.w) > Math.abs(centre.w));
    if (bigger) throw new ClaimError(`the kernel from ${name(c)} does not peak at its centre (${at(centre)}): ${at(bigger)} is larger.`);
    said.push('largest at its centre');
  }
  return said;
}
