// Captures what a test writes to stderr, line by line (warnings, fallbacks): one capture per test.
import { afterEach, beforeEach, vi } from 'vitest';

export function captureStderr(): { lines: string[] } {
  const captured = { lines: [] as string[] };
  beforeEach(() => {
    captured.lines = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured.lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());
  return captured;
}
