// Jobs and their content hashes. A job's hash covers everything its outputs depend on (weights sha256,
// dataset digest, settings, engine, and the code version of its stage, a hash of the stage's source: see
// stage-versions.ts); a job whose record has the same hash and whose outputs all exist is skipped.
// Records live in <out>/.cache/jobs/<model>/.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../fsutil.ts';

export const STAGES = ['examples', 'circuits', 'graph', 'fv', 'tuning', 'pose', 'model'] as const;
export type Stage = (typeof STAGES)[number];

export interface Job {
  id: string;
  /** The model the job belongs to: one output folder may hold several models' atlases. */
  model: string;
  stage: Stage;
  hash: string;
  /** Output files, relative to the output folder. */
  outputs: string[];
}

/** Canonical JSON (sorted keys) so that a hash does not depend on property order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `code`: the stage's code version (any change to the stage's source changes every one of its hashes). */
export function jobHash(stage: Stage, code: string, inputs: Record<string, unknown>): string {
  return createHash('sha256').update(canonical({ stage, code, inputs })).digest('hex').slice(0, 32);
}

export function makeJob(model: string, stage: Stage, code: string, id: string, inputs: Record<string, unknown>, outputs: string[]): Job {
  return { id, model, stage, hash: jobHash(stage, code, inputs), outputs };
}

interface JobRecord {
  id: string;
  hash: string;
  outputs: string[];
  seconds: number;
  finishedAt: string;
}

function recordPath(out: string, model: string | null, id: string): string {
  return path.join(out, '.cache', 'jobs', ...(model ? [model] : []), `${id.replace(/[^\w.-]+/g, '_')}.json`);
}

/**
 * The job's record: per model (<out>/.cache/jobs/<model>/), else where single-model versions kept it
 * (<out>/.cache/jobs/), so an existing atlas is not regenerated; the hash covers the weights, so another
 * model's legacy record never passes for this one's.
 */
export function readRecord(out: string, job: Pick<Job, 'id' | 'model'>): JobRecord | null {
  for (const file of [recordPath(out, job.model, job.id), recordPath(out, null, job.id)]) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as JobRecord;
    } catch {
      // not there: try the next place
    }
  }
  return null;
}

/** Done = a record with the same hash, and every output on disk. */
export function isFresh(out: string, job: Job): boolean {
  const r = readRecord(out, job);
  return !!r && r.hash === job.hash && job.outputs.every((o) => existsSync(path.join(out, o)));
}

/** Written last, after the outputs: a job killed before this point simply runs again. */
export function writeRecord(out: string, job: Job, seconds: number): void {
  writeJsonAtomic(recordPath(out, job.model, job.id), { id: job.id, hash: job.hash, outputs: job.outputs, seconds, finishedAt: new Date().toISOString() } satisfies JobRecord);
}

/** Deterministic 1/N of the jobs: by a hash of the job id, so every shard agrees without talking. */
export function inShard(id: string, shard: { index: number; count: number } | undefined): boolean {
  if (!shard) return true;
  const h = createHash('sha256').update(id).digest().readUInt32BE(0);
  return h % shard.count === shard.index;
}
