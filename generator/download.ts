// Downloads a public file with a progress bar, resumes a partial download, verifies its hash and only
// then moves it into place, so an interrupted or corrupt download never looks like a good file.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { progressBar } from './progress-bar.ts';
import { AtlasError } from './errors.ts';

export interface DownloadOptions {
  url: string;
  dest: string;
  /** Expected hash (hex); the algorithm is md5 for 32 digits, sha256 for 64, as Keras' get_file does. */
  hash?: string;
  /** Told to the user when the network is out of reach. */
  offlineHint: string;
  timeoutMs?: number;
}

function hashAlgorithm(hash: string): 'md5' | 'sha256' {
  return hash.length === 32 ? 'md5' : 'sha256';
}

export async function hashFile(file: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function download(opts: DownloadOptions): Promise<void> {
  mkdirSync(path.dirname(opts.dest), { recursive: true });
  const part = `${opts.dest}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(opts.url, {
      headers: have > 0 ? { Range: `bytes=${have}-` } : {},
      signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new AtlasError(`cannot reach ${new URL(opts.url).host} (${cause}): this machine seems to be offline`, opts.offlineHint);
  }
  if (!res.ok || !res.body) throw new AtlasError(`download of ${opts.url} failed: HTTP ${res.status}`, opts.offlineHint, 1);
  const resumed = res.status === 206;
  const total = Number(res.headers.get('content-length') ?? 0) + (resumed ? have : 0);
  const bar = progressBar(path.basename(opts.dest), { unit: 'MB' });
  const mb = (b: number) => Math.round(b / 1e6);
  let done = resumed ? have : 0;
  bar.update(mb(done), mb(total));
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => {
    done += chunk.length;
    bar.update(mb(done), mb(total));
  });
  await pipeline(body, createWriteStream(part, { flags: resumed ? 'a' : 'w' }));
  bar.stop();
  if (opts.hash) {
    const got = await hashFile(part, hashAlgorithm(opts.hash));
    if (got !== opts.hash) {
      rmSync(part);
      throw new AtlasError(`downloaded ${opts.url} but its ${hashAlgorithm(opts.hash)} is ${got}, expected ${opts.hash}; the partial file was removed`, 'run the command again', 1);
    }
  }
  renameSync(part, opts.dest);
}
