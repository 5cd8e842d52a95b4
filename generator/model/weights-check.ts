// The one check that asked-for layers are in the loaded weights, and the one message and hint when they
// are not. A prefix file (the shared one holds block1..block3) is a normal setup, so the error names
// what the weights do hold and how to get the rest, wherever a layer is asked for.
import { AtlasError } from '../errors.ts';
import type { ModelSpec } from './spec.ts';

/** How to get the layers a prefix file lacks (names the full file when the spec knows it). */
export function prefixHint(spec: ModelSpec): string {
  const full = spec.weights.find((w) => w.includesTop);
  return `the weights file holds only a prefix of the network: get the full Keras file${full ? ` (${full.file})` : ''} with \`npm run fetch-model\` (needs internet) or point --weights at it`;
}

export interface LayerCheckOptions {
  /** What needs the layers, e.g. 'classification': the message then says so and lists every missing one. */
  purpose?: string;
  /** The choices named in the message (default: `available`), e.g. only the conv layers. */
  choices?: readonly string[];
  /** What the choices are called (default 'available'). */
  choicesLabel?: string;
}

/**
 * The error for asking for `layers` when the weights let us compute only `available`, or null when all
 * are there. A layer the spec does not know is a typo (no hint); a known one is a prefix file (the hint).
 */
export function missingLayersError(spec: ModelSpec, available: readonly string[], layers: readonly string[], opts: LayerCheckOptions = {}): AtlasError | null {
  const choices = `${opts.choicesLabel ?? 'available'}: ${(opts.choices ?? available).join(', ')}`;
  const unknown = layers.filter((l) => !spec.layers.some((s) => s.name === l));
  if (unknown.length) return new AtlasError(`unknown layer '${unknown.join("', '")}' for ${spec.id}; ${choices}`);
  const missing = layers.filter((l) => !available.includes(l));
  if (!missing.length) return null;
  const message = opts.purpose
    ? `${opts.purpose} needs layers the loaded weights lack: ${missing.join(', ')}; ${choices}`
    : `layer ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not in the loaded weights; ${choices}`;
  return new AtlasError(message, prefixHint(spec));
}

/** Throws missingLayersError (exit 2) unless every one of `layers` is available. */
export function requireLayers(spec: ModelSpec, available: readonly string[], layers: readonly string[], opts: LayerCheckOptions = {}): void {
  const e = missingLayersError(spec, available, layers, opts);
  if (e) throw e;
}
