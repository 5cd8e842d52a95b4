// Dotted paths into a generated JSON document ("tuning.circle.summary.ringVsDisc", "circuit.inputs.0.l2"),
// as write-up embeds cite them. Two extras for claims: "*" stands for every element of a list
// ("circuit.inputs.*.sign") and "last" for a list's last element ("tuning.ellipse.aspect.post.last"), so
// that a claim does not hard-code how long a generated list is; a list's "length" is a number too.

export class DataPathError extends Error {
  override name = 'DataPathError';
}

export interface PathValue {
  /** The concrete path ("circuit.inputs.3.sign"), wildcards and "last" resolved. */
  path: string;
  value: unknown;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? `a list of ${v.length}` : typeof v;
}

/**
 * Every value a path leads to (one without "*"; one per element with it). `limit` keeps only the first
 * n elements of a "*" list and requires that it has at least n. Errors say where the path stops.
 */
export function walkPath(root: unknown, dotted: string, limit?: number): PathValue[] {
  const parts = dotted.split('.').filter(Boolean);
  if (!parts.length) throw new DataPathError('empty path.');
  let here: PathValue[] = [{ path: '', value: root }];
  for (const key of parts) {
    const next: PathValue[] = [];
    for (const { path, value } of here) {
      const at = path || '(the file)';
      const join = (k: string | number) => (path ? `${path}.${k}` : String(k));
      if (value === null || typeof value !== 'object') throw new DataPathError(`path "${dotted}" stops at ${at}, which is ${describe(value)}.`);
      if (key === '*' || key === 'last') {
        if (!Array.isArray(value)) throw new DataPathError(`path "${dotted}": "${key}" needs a list, but ${at} is ${describe(value)}.`);
        if (key === 'last') {
          if (!value.length) throw new DataPathError(`path "${dotted}": ${at} is an empty list.`);
          next.push({ path: join(value.length - 1), value: value[value.length - 1] });
          continue;
        }
        if (limit !== undefined && value.length < limit) throw new DataPathError(`path "${dotted}": ${at} has ${value.length} elements, fewer than the ${limit} claimed.`);
        value.slice(0, limit).forEach((v, i) => next.push({ path: join(i), value: v }));
        continue;
      }
      if (!Object.prototype.hasOwnProperty.call(value, key)) {
        const keys = Array.isArray(value) ? `indices 0..${value.length - 1}` : `keys ${Object.keys(value).slice(0, 12).join(', ')}`;
        throw new DataPathError(`path "${dotted}": ${at} has no "${key}" (${keys}).`);
      }
      next.push({ path: join(key), value: (value as Record<string, unknown>)[key] });
    }
    here = next;
  }
  return here;
}

/** The one finite number a path (without "*") leads to. */
export function pathNumber(root: unknown, dotted: string): number {
  const found = walkPath(root, dotted);
  if (found.length !== 1) throw new DataPathError(`path "${dotted}" leads to ${found.length} values, not one number.`);
  const v = found[0].value;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataPathError(`path "${dotted}" is ${describe(v)}, not a number.`);
  return v;
}
