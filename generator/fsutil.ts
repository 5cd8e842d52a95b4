// Atomic file writes: a temp file in the same folder, then rename, so that an interrupted run never
// leaves a half-written output that a later run (or a reader) would take for a finished one.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

let counter = 0;

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  // pid, thread and counter: unique even when worker threads write the same file at once.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${threadId}.${counter++}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** A JSON file's content, or null when it is missing or unreadable (an output not generated yet). */
export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
