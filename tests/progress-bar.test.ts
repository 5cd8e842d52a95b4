import { describe, expect, it } from 'vitest';
import { progressBar, type ProgressIo } from '../generator/progress-bar.ts';

/** A clock the test moves, and the lines written. */
function fakeIo(intervalSeconds = 30): ProgressIo & { lines: string[]; advance: (s: number) => void } {
  let t = 1000;
  const lines: string[] = [];
  return { tty: false, line: (l) => lines.push(l), now: () => t, intervalSeconds, lines, advance: (s) => (t += s * 1000) };
}

describe('progressBar off a terminal', () => {
  it('writes a line at the start, one whenever the interval has passed, and the closing count', () => {
    const io = fakeIo(30);
    const bar = progressBar('dataset pass', { unit: 'images', note: '2 workers' }, io);
    bar.update(0, 1000);
    expect(io.lines).toEqual(['progress: dataset pass | 0/1000 images (0%) | 2 workers | elapsed 0:00']);
    io.advance(10);
    bar.update(100, 1000); // within the interval: silent
    expect(io.lines).toHaveLength(1);
    io.advance(20);
    bar.update(250, 1000);
    expect(io.lines[1]).toBe('progress: dataset pass | 250/1000 images (25%) | 2 workers | elapsed 0:30 | ETA 1:30');
    io.advance(5);
    bar.update(1000, 1000);
    bar.stop();
    expect(io.lines[2]).toBe('progress: dataset pass | 1000/1000 images (100%) | 2 workers | elapsed 0:35');
    expect(io.lines).toHaveLength(3);
  });

  it('does not repeat the closing count when the last line said it, and writes nothing when never updated', () => {
    const io = fakeIo(0.001);
    const bar = progressBar('tune', { unit: 'stimuli' }, io);
    bar.stop();
    expect(io.lines).toEqual([]);
    bar.update(3, 3);
    bar.stop();
    expect(io.lines).toEqual(['progress: tune | 3/3 stimuli (100%) | elapsed 0:00']);
  });
});
