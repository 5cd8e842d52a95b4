// Progress of one long loop, for every command: a bar with ETA on a terminal; off one (a log, nohup, CI),
// plain lines, one when it starts, then one whenever nothing was printed for ATLAS_PROGRESS_INTERVAL seconds
// (30), and one at the end, in the pipeline's style. A silent stderr off a terminal left a 70 s
// `atlas visualize` with nothing but its last line in a log.
import cliProgress from 'cli-progress';
import { AtlasError } from './errors.ts';
import { log } from './log.ts';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  /** What is counted, e.g. 'images' (shown after the counts). */
  unit?: string;
  /** A fixed note after the counts, e.g. '2 workers'. */
  note?: string;
}

/** Where the lines go and what time it is: the terminal's by default; tests pass their own. */
export interface ProgressIo {
  tty: boolean;
  line: (text: string) => void;
  now: () => number;
  intervalSeconds: number;
}

const defaultIo = (): ProgressIo => ({ tty: process.stderr.isTTY === true, line: log, now: () => performance.now(), intervalSeconds: progressInterval() });

export function progressBar(label: string, opts: ProgressOptions = {}, io: ProgressIo = defaultIo()): Progress {
  const counts = `{value}/{total}${opts.unit ? ` ${opts.unit}` : ''}${opts.note ? ` | ${opts.note}` : ''}`;
  return io.tty ? terminalBar(label, counts) : plainLines(label, opts, io);
}

function terminalBar(label: string, counts: string): Progress {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | ${counts} | elapsed {duration_formatted} | ETA {eta_formatted}`, hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function plainLines(label: string, opts: ProgressOptions, io: ProgressIo): Progress {
  let t0: number | null = null;
  let last = -Infinity;
  let state: { done: number; total: number } | null = null;
  let printed: { done: number; total: number } | null = null;
  const print = () => {
    if (!state || t0 === null) return;
    const { done, total } = state;
    const elapsed = (io.now() - t0) / 1000;
    const eta = done > 0 && done < total ? ` | ETA ${clock((elapsed / done) * (total - done))}` : '';
    const pct = total > 0 ? ` (${Math.floor((done / total) * 100)}%)` : '';
    io.line(`progress: ${label} | ${done}/${total}${opts.unit ? ` ${opts.unit}` : ''}${pct}${opts.note ? ` | ${opts.note}` : ''} | elapsed ${clock(elapsed)}${eta}`);
    last = io.now();
    printed = { ...state };
  };
  return {
    update(done, total) {
      t0 ??= io.now();
      state = { done, total };
      if (io.now() - last >= io.intervalSeconds * 1000) print();
    },
    stop() {
      // The closing count, unless the last line already said it.
      if (state && (printed?.done !== state.done || printed?.total !== state.total)) print();
      t0 = null;
      state = printed = null;
      last = -Infinity;
    },
  };
}

/** `1:02:03`, `4:05`, `0:07`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** $ATLAS_PROGRESS_INTERVAL (seconds, e.g. 1 in tests), else 30. */
export function progressInterval(env = process.env.ATLAS_PROGRESS_INTERVAL): number {
  if (env === undefined || env === '') return 30;
  const v = Number(env);
  if (!Number.isFinite(v) || v <= 0) throw new AtlasError(`ATLAS_PROGRESS_INTERVAL='${env}' is not a positive number of seconds`, 'e.g. ATLAS_PROGRESS_INTERVAL=30 (the default)');
  return v;
}
