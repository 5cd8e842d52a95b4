// Jobs and their content hashes. A job's hash covers everything its outputs depend on (weights sha256,
// dataset digest, settings, engine, and the code version of its stage); a job whose record has the same
// hash and whose outputs all exist is skipped. Records live in <out>/.cache/jobs/.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../fsutil.ts';

/** Bump a stage's version when its code changes what it writes: its jobs then rerun. */
export const STAGE_VERSIONS = { examples: 2, fv: 4, circuits: 1, graph: 1, model: 1, tuning: 1 } as const;
export type Stage = keyof typeof STAGE_VERSIONS;

export interface Job {
  id: string;
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

export function jobHash(stage: Stage, inputs: Record<string, unknown>): string {
  return createHash('sha256').update(canonical({ stage, version: STAGE_VERSIONS[stage], inputs })).digest('hex').slice(0, 32);
}

export function makeJob(stage: Stage, id: string, inputs: Record<string, unknown>, outputs: string[]): Job {
  return { id, stage, hash: jobHash(stage, inputs), outputs };
}

interface JobRecord {
  id: string;
  hash: string;
  outputs: string[];
  seconds: number;
  finishedAt: string;
}

function recordPath(out: string, id: string): string {
  return path.join(out, '.cache', 'jobs', `${id.replace(/[^\w.-]+/g, '_')}.json`);
}

export function readRecord(out: string, id: string): JobRecord | null {
  try {
    return JSON.parse(readFileSync(recordPath(out, id), 'utf8')) as JobRecord;
  } catch {
    return null;
  }
}

/** Done = a record with the same hash, and every output on disk. */
export function isFresh(out: string, job: Job): boolean {
  const r = readRecord(out, job.id);
  return !!r && r.hash === job.hash && job.outputs.every((o) => existsSync(path.join(out, o)));
}

/** Written last, after the outputs: a job killed before this point simply runs again. */
export function writeRecord(out: string, job: Job, seconds: number): void {
  writeJsonAtomic(recordPath(out, job.id), { id: job.id, hash: job.hash, outputs: job.outputs, seconds, finishedAt: new Date().toISOString() } satisfies JobRecord);
}

/** Deterministic 1/N of the jobs: by a hash of the job id, so every shard agrees without talking. */
export function inShard(id: string, shard: { index: number; count: number } | undefined): boolean {
  if (!shard) return true;
  const h = createHash('sha256').update(id).digest().readUInt32BE(0);
  return h % shard.count === shard.index;
}
