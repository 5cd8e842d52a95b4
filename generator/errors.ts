// One error type for everything a user can cause or fix: it says what was wrong, where, and what to do,
// and carries the CLI exit code (2 = bad input or missing data, 1 = failure).

export type ExitCode = 1 | 2;

export class AtlasError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: ExitCode = 2,
  ) {
    super(message);
    this.name = 'AtlasError';
  }

  /** The message and the hint, as the CLI prints them. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

export function isAtlasError(e: unknown): e is AtlasError {
  return e instanceof AtlasError;
}
