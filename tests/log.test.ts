import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorLine, log, setQuiet, warnFallback } from '../generator/log.ts';

function stderrLines(run: () => void): string[] {
  const out: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return out.join('').split('\n').filter(Boolean);
}

afterEach(() => setQuiet(false));

describe('log', () => {
  it('writes one line to stderr, nothing when quiet', () => {
    expect(stderrLines(() => log('engine: onnxruntime'))).toEqual(['engine: onnxruntime']);
    setQuiet(true);
    expect(stderrLines(() => log('engine: onnxruntime'))).toEqual([]);
  });

  it('warns about a fallback once, saying what failed and what is used instead', () => {
    const lines = stderrLines(() => {
      for (let step = 0; step < 3; step++) warnFallback('the diversity graph failed (bad shape)', "tfjs's autodiff");
      warnFallback('something else failed', 'plan B');
    });
    expect(lines).toEqual(["warning: the diversity graph failed (bad shape); using tfjs's autodiff", 'warning: something else failed; using plan B']);
  });

  it('keeps only the first line of an error message', () => {
    expect(errorLine(new Error('cannot open libonnxruntime.so\n    at dlopen (native)'))).toBe('cannot open libonnxruntime.so');
    expect(errorLine('plain')).toBe('plain');
  });
});
