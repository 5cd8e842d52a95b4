// The generator's diagnostics: one line each on stderr, so that stdout stays machine-readable (--json).
// Warnings are for fallbacks that keep a run going: they say what failed and what is used instead, once
// per process (a fallback inside a loop would otherwise repeat every step).

let quiet = false;
export function setQuiet(q: boolean): void {
  quiet = q;
}

export function log(msg: string): void {
  if (!quiet) process.stderr.write(`${msg}\n`);
}

const warned = new Set<string>();

/** `warning: <what failed>; using <instead>`, once per distinct message. */
export function warnFallback(failed: string, instead: string): void {
  const line = `warning: ${failed}; using ${instead}`;
  if (warned.has(line)) return;
  warned.add(line);
  log(line);
}

/** The first line of an error's message (native loaders put whole stack traces in theirs). */
export function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
