// `atlas run` (`npm run atlas`): generation, then the site build, within `budget.total` minutes for the
// whole. How long a machine takes to build the site is not known until it has built it (26-44 s on an
// AVX-512 machine, about 2 min on an AVX2 one before the build was made faster, for the same 781 pages), so the first round's generation
// keeps to `budget.minutes`, which leaves room for the slowest build seen; then the build is timed. When
// layer-atlas units still lack their image and what is left of the total, less a second build (as long
// as the first, with a margin) and a round's start-up, holds a useful round, another generation round
// spends it (the rest is cached, so it goes straight to the missing units) and the site is built again.
// A fast machine thus finishes in one run what a slow one spreads over several, each kept to the total.
import type { AtlasDecision } from './budget.ts';
import { duration } from './budget.ts';

/** The next build is reserved at this multiple of the last one (builds of one site move by 10-20%). */
export const BUILD_MARGIN = 1.5;
/**
 * Held back beside the next build: a round keeps to its budget from its own start (its loading, planning
 * and calibration count), and ends within one batch of it (a few seconds to ~20 s on a slow machine).
 */
export const ROUND_START_SECONDS = 10;
/** Less than this left for a round and none is started. */
export const MIN_ROUND_SECONDS = 60;

/** Layer-atlas units a round's budget left without their image: by layer, and in all. */
export function missingUnits(decisions: AtlasDecision[]): { total: number; byLayer: Array<[string, number]> } {
  const byLayer = decisions.filter((d) => !d.admitted).map((d): [string, number] => [d.layer, d.pending - (d.headStart ?? 0)]).filter(([, n]) => n > 0);
  return { total: byLayer.reduce((a, [, n]) => a + n, 0), byLayer };
}

/**
 * Minutes for another generation round, or null when there is not enough left: the total less what has
 * elapsed, the next build (this one's time x BUILD_MARGIN) and a round's start-up.
 */
export function nextRoundMinutes(totalMinutes: number, elapsedSeconds: number, buildSeconds: number): number | null {
  const left = totalMinutes * 60 - elapsedSeconds - buildSeconds * BUILD_MARGIN - ROUND_START_SECONDS;
  // Tenths of a minute, rounded down: the round's log lines name its budget.
  return left >= MIN_ROUND_SECONDS ? Math.floor(left / 6) / 10 : null;
}

export interface RoundsOptions {
  /** The first round's generation budget in minutes (null: no limit, and one round). */
  budget: number | null;
  /** Minutes for the whole run (null: one round). */
  total: number | null;
  /** One generation round under this budget; its budget decisions. */
  generate: (budget: number | null) => Promise<AtlasDecision[]>;
  /** Builds the site. */
  build: () => Promise<void>;
  /** Seconds since the run started. */
  clock: () => number;
  log: (msg: string) => void;
}

export interface RoundsSummary {
  rounds: number;
  /** Seconds each site build took. */
  builds: number[];
  /** Layer-atlas units still without an image (a later run adds them). */
  missing: number;
}

export async function runRounds(o: RoundsOptions): Promise<RoundsSummary> {
  const builds: number[] = [];
  let budget = o.budget;
  for (let round = 1; ; round++) {
    const missing = missingUnits(await o.generate(budget));
    const t = o.clock();
    await o.build();
    const build = o.clock() - t;
    builds.push(build);
    if (missing.total === 0 || budget === null || o.total === null) return { rounds: round, builds, missing: missing.total };
    const minutes = nextRoundMinutes(o.total, o.clock(), build);
    const what = `${missing.total} layer-atlas unit(s) still lack their image (${missing.byLayer.map(([l, n]) => `${l} ${n}`).join(', ')}); ${duration(o.total * 60 - o.clock())} left of the ${o.total}-minute run, less the next build (${duration(build * BUILD_MARGIN)}: this one took ${duration(build)}) and a round's start`;
    if (minutes === null) {
      o.log(`run: ${what}: not enough for another round (at least ${duration(MIN_ROUND_SECONDS)}). Run again to add them (what is done is kept)`);
      return { rounds: round, builds, missing: missing.total };
    }
    o.log(`run: ${what}: round ${round + 1} with a ${minutes}-minute budget, then the site again`);
    budget = minutes;
  }
}
