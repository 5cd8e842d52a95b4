// Write-up embeds resolve their ids through this, so that a missing or ungenerated id fails the build
// with a message naming the page, the embed and the id (no broken embeds), and a claim the data no
// longer supports fails it saying what the data says.
import { ClaimError } from './claims';

export class EmbedError extends Error {
  override name = 'EmbedError';
}

function attrs(props: Record<string, unknown>): string {
  return Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (typeof v === 'string' ? `${k}="${v}"` : `${k}={${JSON.stringify(v)}}`))
    .join(' ');
}

export function resolveEmbed<T>(tag: string, props: Record<string, unknown>, page: string, get: () => T): T {
  try {
    return get();
  } catch (e) {
    throw new EmbedError(`Write-up ${page}: <${tag} ${attrs(props)} /> cannot be rendered. ${(e as Error).message}`);
  }
}

/** The same for claims: a ClaimError (the data says otherwise) reads "does not hold". */
export function resolveClaim<T>(tag: string, props: Record<string, unknown>, page: string, get: () => T): T {
  try {
    return get();
  } catch (e) {
    if (e instanceof ClaimError) throw new EmbedError(`Write-up ${page}: the claim <${tag} ${attrs(props)} /> does not hold: ${e.message}`);
    throw new EmbedError(`Write-up ${page}: the claim <${tag} ${attrs(props)} /> cannot be checked. ${(e as Error).message}`);
  }
}

/** A required string attribute, or an error naming it. */
export function requireString(tag: string, props: Record<string, unknown>, name: string, page: string): string {
  const v = props[name];
  if (typeof v !== 'string' || !v.trim()) throw new EmbedError(`Write-up ${page}: <${tag} ${attrs(props)} /> needs a ${name}="..." attribute.`);
  return v.trim();
}

/** Claims must not silently skip a condition: an attribute the embed does not know (a typo) is an error. */
export function requireKnown(tag: string, props: Record<string, unknown>, known: readonly string[], page: string): void {
  const unknown = Object.keys(props).filter((k) => !known.includes(k));
  if (unknown.length) throw new EmbedError(`Write-up ${page}: <${tag} ${attrs(props)} />: unknown attribute${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')}).`);
}
