// Flag parsers that fail with exit code 2 and a message naming the flag's value.
import { InvalidArgumentError } from 'commander';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive integer.`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${value}' is not a non-negative integer.`);
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`'${value}' is not a positive number.`);
  return n;
}

/** "3,5,8" or "0-15" or "0-3,9" -> unique integers, in the order given. */
export function unitList(value: string): number[] {
  const out = new Set<number>();
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new InvalidArgumentError(`'${part}' is not a unit index or range (e.g. 8, 0-15, 3,5,8).`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new InvalidArgumentError(`range '${part}' is empty.`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  // In the order given (a circuit's inputs by rank, say), each once.
  return [...out];
}

/** --top k or --top all (Infinity). */
export function countOrAll(value: string): number {
  if (value === 'all') return Infinity;
  try {
    return positiveInt(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a positive integer or 'all'.`);
  }
}
