// Where dataset images come from and which class each belongs to. Three layouts are read:
//   ImageFolder  <root>/<class>/<image> (class = WNID or label; images may sit deeper inside the class folder),
//                also with split folders <root>/<split>/<class>/<image> (Kaggle's mini-ImageNet: train/val/test);
//   flat         <root>/<wnid>_<anything>.<ext> (the file name starts with the WNID);
//   CSV          a manifest `path,label` whose paths are relative to the CSV's folder.
// Classes are resolved through the Keras class index: a WNID keeps its WNID, a label is mapped back to its
// WNID, and anything else stays a class of its own, named and labelled by its folder (or CSV) name.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import { type ImageNetClass, loadClassIndex } from '../model/classes.ts';

/** Extensions taken as images; anything else in the folder (READMEs, CSVs, .DS_Store) is ignored. */
const IMAGE_EXT = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;
const WNID = /^n\d{8}$/;
const WNID_PREFIX = /^(n\d{8})/;
/** Folder names that hold a split of a dataset rather than a class. */
const SPLIT_NAMES = new Set(['train', 'val', 'valid', 'validation', 'test']);

export const DATASET_ENV = 'ATLAS_DATASET_DIR';

export interface DatasetClass {
  /** The WNID when the class index knows the class, else the folder (or CSV) name. */
  id: string;
  label: string;
  /** Whether the id is a WNID of the class index. */
  known: boolean;
}

export interface DatasetImage {
  /** Absolute path. */
  file: string;
  /** Path relative to the dataset root, with '/' separators: how results refer to the image. */
  rel: string;
  /** Index into Dataset.classes. */
  cls: number;
}

export interface Dataset {
  /** The folder image references are relative to (the CSV's folder for a manifest). */
  root: string;
  layout: 'imagefolder' | 'flat' | 'csv' | 'mixed';
  /** Sorted by `rel` (code-unit order, locale-independent): the order every result's ties follow. */
  images: DatasetImage[];
  /** Sorted by id. */
  classes: DatasetClass[];
  /** Entries that are not usable as images at all (a flat file without a WNID, a CSV row whose file is missing). */
  skipped: Array<{ file: string; reason: string }>;
}

const FETCH_HINT = `pass --dataset DIR or set ${DATASET_ENV} to a folder of images (ImageFolder <class>/<image>, flat <wnid>_*.jpg, or a CSV manifest path,label); \`npm run fetch-data\` downloads a 1000-image ImageNet sample when online`;

/** --dataset, else $ATLAS_DATASET_DIR; neither is bad input (exit 2) with a hint. */
export function resolveDatasetPath(explicit?: string): string {
  // An empty variable counts as unset.
  const p = explicit || process.env[DATASET_ENV];
  if (!p) throw new AtlasError('no dataset given', FETCH_HINT);
  const abs = path.resolve(p);
  if (!existsSync(abs)) throw new AtlasError(`dataset not found: ${abs}`, FETCH_HINT);
  return abs;
}

/** Resolves a class name (WNID or label) through the class index. */
export class ClassResolver {
  private readonly byWnid = new Map<string, ImageNetClass>();
  private readonly byLabel = new Map<string, ImageNetClass>();
  /** Labels the index gives to two classes ('crane', 'maillot'): mapped to the first, with a warning. */
  readonly ambiguous = new Set<string>();

  constructor(index: ImageNetClass[] = loadClassIndex()) {
    for (const c of index) {
      this.byWnid.set(c.wnid, c);
      const key = normalizeLabel(c.label);
      if (this.byLabel.has(key)) this.ambiguous.add(key);
      else this.byLabel.set(key, c);
    }
  }

  resolve(name: string): DatasetClass {
    const w = this.byWnid.get(name);
    if (w) return { id: w.wnid, label: w.label, known: true };
    const l = this.byLabel.get(normalizeLabel(name));
    if (l) return { id: l.wnid, label: l.label, known: true };
    return { id: name, label: name, known: false };
  }
}

/** 'Great white shark' and 'great_white_shark' are the same label. */
function normalizeLabel(s: string): string {
  return s.trim().toLowerCase().replace(/[\s_]+/g, '_');
}

/** Plain code-unit order: the same on every machine and locale. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Every image file under dir (recursively), as paths relative to dir. Hidden entries are ignored. */
function imagesUnder(dir: string, prefix = '', out: string[] = []): string[] {
  // One accumulator (a spread of a big folder's list would pass the argument limit).
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    const full = path.join(dir, e.name);
    // Symlinks count as what they point to (a dataset may be a folder of links); a broken link is
    // listed as a file and reported when it cannot be read.
    if (e.isDirectory() || (e.isSymbolicLink() && isDir(full))) imagesUnder(full, rel, out);
    else if (IMAGE_EXT.test(e.name)) out.push(rel);
  }
  return out;
}

export interface OpenOptions {
  classIndex?: ImageNetClass[];
  /** Keep only the first N images in sorted order (small runs, tests). */
  limit?: number;
  /**
   * Keep N images spread evenly over the sorted list: on a one-image-per-class folder, N classes from all
   * over the index, where the first N would all be animals (the WNIDs n01..n02 come first).
   */
  sample?: number;
  warn?: (msg: string) => void;
}

/** Lists a dataset (a folder or a CSV manifest) and resolves its classes. Empty = bad input (exit 2). */
export function openDataset(location: string, opts: OpenOptions = {}): Dataset {
  const resolver = new ClassResolver(opts.classIndex);
  const entries: Array<{ file: string; rel: string; className: string }> = [];
  const skipped: Dataset['skipped'] = [];
  let root: string;
  let layout: Dataset['layout'];
  if (!isDir(location)) {
    if (!/\.csv$/i.test(location)) {
      throw new AtlasError(`dataset ${location} is neither a folder nor a .csv manifest`, FETCH_HINT);
    }
    root = path.dirname(location);
    layout = 'csv';
    for (const row of readManifest(location)) {
      const file = path.resolve(root, row.path);
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (!existsSync(file)) skipped.push({ file: rel, reason: 'listed in the manifest but not found' });
      else entries.push({ file, rel, className: row.label });
    }
  } else {
    root = location;
    let flat = 0;
    let foldered = 0;
    for (const rel of imagesUnder(root)) {
      const parts = rel.split('/');
      let className: string | undefined;
      if (parts.length === 1) {
        className = WNID_PREFIX.exec(parts[0])?.[1];
        if (!className) {
          skipped.push({ file: rel, reason: 'an image at the top level whose name does not start with a WNID (n01440764_...): no class' });
          continue;
        }
        flat++;
      } else {
        // <split>/<class>/<image> when the top folder is a split name and the next one a folder too.
        className = SPLIT_NAMES.has(parts[0].toLowerCase()) && parts.length >= 3 ? parts[1] : parts[0];
        foldered++;
      }
      entries.push({ file: path.join(root, ...parts), rel, className });
    }
    layout = flat && foldered ? 'mixed' : flat ? 'flat' : 'imagefolder';
  }
  entries.sort((a, b) => byCodeUnits(a.rel, b.rel));
  if (opts.limit !== undefined && opts.sample !== undefined) throw new AtlasError('a limit and a sample of the dataset at once', 'use one: the first n images (limit) or n spread over all (sample)');
  const kept = opts.limit !== undefined ? entries.slice(0, opts.limit) : opts.sample !== undefined ? spread(entries, opts.sample) : entries;
  if (kept.length === 0) {
    throw new AtlasError(
      `dataset ${location} holds no images${skipped.length ? ` (${skipped.length} unusable entries, e.g. ${skipped[0].file}: ${skipped[0].reason})` : ''}`,
      FETCH_HINT,
    );
  }
  const classes = new Map<string, DatasetClass>();
  const classOf = kept.map((e) => {
    const c = resolver.resolve(e.className);
    classes.set(c.id, c);
    return c.id;
  });
  const ambiguous = [...new Set(kept.map((e) => normalizeLabel(e.className)))].filter((l) => resolver.ambiguous.has(l));
  for (const l of ambiguous) opts.warn?.(`class label '${l}' names two classes in the class index; taken as the first (${resolver.resolve(l).id}): use WNIDs to be exact`);
  const sortedClasses = [...classes.values()].sort((a, b) => byCodeUnits(a.id, b.id));
  const classIndex = new Map(sortedClasses.map((c, i) => [c.id, i]));
  return {
    root,
    layout,
    images: kept.map((e, i) => ({ file: e.file, rel: e.rel, cls: classIndex.get(classOf[i])! })),
    classes: sortedClasses,
    skipped,
  };
}

/** n items spread evenly over `all` (every (length/n)-th, from the first), in order; all of them when n >= length. */
export function spread<T>(all: readonly T[], n: number): T[] {
  if (n >= all.length) return [...all];
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]);
}

/** `path,label` rows; a header row naming the columns is optional; fields may be double-quoted. */
function readManifest(file: string): Array<{ path: string; label: string }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AtlasError(`cannot read the manifest ${file}: ${(e as Error).message}`, FETCH_HINT);
  }
  const rows: Array<{ path: string; label: string }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const fields = splitCsvLine(line);
    if (i === 0 && fields[0]?.trim().toLowerCase() === 'path') return;
    if (fields.length < 2 || !fields[0].trim() || !fields[1].trim()) {
      throw new AtlasError(`${file}:${i + 1}: expected 'path,label', got '${line}'`, 'each row is an image path (relative to the CSV) and its class (WNID or label)');
    }
    rows.push({ path: fields[0].trim(), label: fields[1].trim() });
  });
  return rows;
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/**
 * Digest of what the pass reads: each image's relative path, class and content (sha256). Any added,
 * removed, renamed, relabelled or edited image changes it; an unreadable file contributes its error, so
 * it changes the digest once it becomes readable.
 */
export async function datasetDigest(ds: Dataset, concurrency = 8): Promise<string> {
  const hashes = new Array<string>(ds.images.length);
  let next = 0;
  const worker = async () => {
    while (next < ds.images.length) {
      const i = next++;
      const h = createHash('sha256');
      try {
        for await (const chunk of createReadStream(ds.images[i].file)) h.update(chunk as Buffer);
        hashes[i] = h.digest('hex');
      } catch (e) {
        hashes[i] = `unreadable:${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ds.images.length) }, worker));
  const all = createHash('sha256');
  ds.images.forEach((im, i) => all.update(`${im.rel}\t${ds.classes[im.cls].id}\t${hashes[i]}\n`));
  return all.digest('hex');
}
