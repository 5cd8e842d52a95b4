// How far a computed array is from a reference, for tests that compare engines or providers.

/** ||actual - reference|| / ||reference|| (robust to the rare max-pool argmax that float rounding flips between engines). */
export function relL2(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < reference.length; i++) {
    d += (reference[i] - actual[i]) ** 2;
    n += reference[i] ** 2;
  }
  return Math.sqrt(d / n);
}
