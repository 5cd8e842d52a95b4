// `atlas merge`: combines the outputs of `atlas generate --shard i/N` runs into one folder. Outputs are
// content-addressed, so the same file from two shards must be byte-identical; a conflict is an error.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AtlasError } from '../errors.ts';

function* walk(dir: string, rel = ''): Generator<string> {
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) yield* walk(dir, r);
    else if (e.isFile()) yield r;
  }
}

/** Copies every file of every shard into `out`; returns how many were copied. */
export function mergeShards(shards: string[], out: string): number {
  if (shards.length === 0) throw new AtlasError('no shard folder given', 'atlas merge generated/shard-1-of-2 generated/shard-2-of-2 --out generated');
  let copied = 0;
  for (const shard of shards) {
    if (!existsSync(shard) || !statSync(shard).isDirectory()) throw new AtlasError(`shard folder not found: ${shard}`);
    for (const rel of walk(shard)) {
      if (rel === 'run.json' || rel === 'run.log' || /(^|\/)\.[^/]+\.tmp$/.test(rel)) continue; // per-run facts and interrupted temp files
      const src = path.join(shard, rel);
      const dst = path.join(out, rel);
      if (existsSync(dst)) {
        const same = readFileSync(src).equals(readFileSync(dst));
        // Job records carry their run's time: two shards may both hold one (e.g. a shared dataset cache key).
        if (!same && !rel.startsWith('.cache/')) throw new AtlasError(`conflict: ${rel} differs between ${shard} and ${out}`, 'were the shards generated with the same config, weights and engine?');
        if (same || rel.startsWith('.cache/')) continue;
      }
      mkdirSync(path.dirname(dst), { recursive: true });
      copyFileSync(src, dst);
      copied++;
    }
  }
  return copied;
}

/**
 * The engines the shards ran on (each shard's run.json; a shard without one is skipped). The engine is in
 * every network job's hash, so a merge that resolves another one (a CPU node merging CUDA shards) would
 * recompute all their jobs instead of assembling: `atlas merge` refuses that.
 */
export function shardEngines(shards: string[]): Map<string, string> {
  const engines = new Map<string, string>();
  for (const shard of shards) {
    const file = path.join(shard, 'run.json');
    if (!existsSync(file)) continue;
    const engine = (JSON.parse(readFileSync(file, 'utf8')) as { engine?: unknown }).engine;
    if (typeof engine === 'string') engines.set(shard, engine);
  }
  return engines;
}
