import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { WorkerPool } from '../../generator/parallel/pool.ts';

const MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'echo-worker.ts');

describe('WorkerPool', () => {
  it('spreads requests over its workers, forwards progress and returns results in order of the promises', async () => {
    const pool = new WorkerPool<number, { value: number; thread: number }>(MODULE, { offset: 1 }, 2);
    await pool.started();
    const progress: unknown[] = [];
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => pool.run(n, (p) => progress.push(p))));
    expect(results.map((r) => r.value)).toEqual([2, 5, 10, 17, 26, 37]);
    expect(new Set(results.map((r) => r.thread)).size).toBe(2);
    expect(progress).toHaveLength(6);
    await pool.close();
  });

  it('turns a worker AtlasError into an AtlasError with its hint, and keeps serving', async () => {
    const pool = new WorkerPool<number, { value: number }>(MODULE, { offset: 0 }, 1);
    const err = await pool.run(13).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtlasError);
    expect((err as AtlasError).hint).toBe('pick another number');
    expect((await pool.run(3)).value).toBe(9);
    await pool.close();
  });

  it('fails every request when setup fails', async () => {
    const pool = new WorkerPool<number, { value: number }>(MODULE, { offset: -1 }, 1);
    await expect(pool.started()).rejects.toThrow(/bad offset/);
    await expect(pool.run(2)).rejects.toThrow(/bad offset/);
    await pool.close();
  });
});
