// atlas run's rounds: a second generation round only when units are missing and the total, less the next
// build (timed on this one) and a round's start, leaves at least a minute.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSite, runBudgets, siteCommand } from '../../generator/cli/run.ts';
import type { AtlasDecision } from '../../generator/pipeline/budget.ts';
import { parseConfig } from '../../generator/pipeline/config.ts';
import { BUILD_MARGIN, MIN_ROUND_SECONDS, missingUnits, nextRoundMinutes, ROUND_START_SECONDS, runRounds } from '../../generator/pipeline/rounds.ts';

const decision = (layer: string, admitted: boolean, pending: number, headStart?: number): AtlasDecision => ({
  layer,
  recipe: 'grid',
  pending,
  units: 256,
  estimate: 300,
  left: 200,
  admitted,
  ...(headStart === undefined ? {} : { headStart }),
});

describe('missingUnits', () => {
  it('counts what left-out atlases and their head starts did not reach', () => {
    expect(missingUnits([decision('block3_conv4', true, 256), decision('block3_conv3', false, 256, 160), decision('block3_conv2', false, 256)])).toEqual({
      total: 96 + 256,
      byLayer: [
        ['block3_conv3', 96],
        ['block3_conv2', 256],
      ],
    });
    // A head start that reached its last unit leaves nothing.
    expect(missingUnits([decision('block3_conv2', false, 96, 96)]).total).toBe(0);
    expect(missingUnits([]).total).toBe(0);
  });
});

describe('nextRoundMinutes', () => {
  it('leaves room for the next build with its margin and a round start, in tenths of a minute', () => {
    // 29.5 min total, 25:42 elapsed, a 38 s build: 1770 - 1542 - 57 - 10 = 161 s.
    expect(nextRoundMinutes(29.5, 1542, 38)).toBe(Math.floor((1770 - 1542 - 38 * BUILD_MARGIN - ROUND_START_SECONDS) / 6) / 10);
    expect(nextRoundMinutes(29.5, 1542, 38)).toBe(2.6);
  });

  it('starts no round with less than a minute left', () => {
    const elapsed = 1770 - 38 * BUILD_MARGIN - ROUND_START_SECONDS - MIN_ROUND_SECONDS;
    expect(nextRoundMinutes(29.5, elapsed, 38)).toBe(1);
    expect(nextRoundMinutes(29.5, elapsed + 1, 38)).toBeNull();
    // A slow machine's build eats the room: 25:05 of generation, then a 2-minute build.
    expect(nextRoundMinutes(29.5, 1505 + 120, 120)).toBeNull();
  });
});

/** A fake run: each generate call advances the clock and returns the next round's decisions; builds take `build` s. */
function fakeRun(rounds: Array<{ seconds: number; decisions: AtlasDecision[] }>, build: number) {
  let now = 0;
  const budgets: Array<number | null> = [];
  const logs: string[] = [];
  let builds = 0;
  return {
    budgets,
    logs,
    builds: () => builds,
    generate: async (b: number | null) => {
      budgets.push(b);
      const r = rounds[budgets.length - 1];
      if (!r) throw new Error('one round too many');
      now += r.seconds;
      return r.decisions;
    },
    build: async () => {
      builds++;
      now += build;
    },
    clock: () => now,
    log: (m: string) => logs.push(m),
  };
}

describe('runRounds', () => {
  it('spends what the build leaves on a second round, then builds again', async () => {
    const f = fakeRun(
      [
        { seconds: 1502, decisions: [decision('block3_conv4', true, 256), decision('block3_conv2', false, 256, 160)] },
        { seconds: 130, decisions: [decision('block3_conv2', false, 96, 96)] },
      ],
      40,
    );
    const summary = await runRounds({ budget: 25, total: 29.5, ...f });
    expect(f.budgets).toEqual([25, nextRoundMinutes(29.5, 1542, 40)]);
    expect(f.builds()).toBe(2);
    expect(summary).toEqual({ rounds: 2, builds: [40, 40], missing: 0 });
    expect(f.logs[0]).toMatch(/^run: 96 layer-atlas unit\(s\) still lack their image \(block3_conv2 96\); .*: round 2 with a 2\.\d-minute budget, then the site again$/);
  });

  it('stops after one round when the build leaves too little, and says to run again', async () => {
    const f = fakeRun([{ seconds: 1502, decisions: [decision('block3_conv2', false, 256, 40)] }], 120);
    const summary = await runRounds({ budget: 25, total: 29.5, ...f });
    expect(summary).toEqual({ rounds: 1, builds: [120], missing: 216 });
    expect(f.logs).toHaveLength(1);
    expect(f.logs[0]).toMatch(/not enough for another round .* Run again to add them/);
  });

  it('runs one round when nothing is missing, with no total, or with no budget', async () => {
    for (const [budget, total, decisions] of [
      [25, 29.5, [decision('block3_conv4', true, 256)]],
      [25, null, [decision('block3_conv2', false, 256)]],
      [null, 29.5, []],
    ] as Array<[number | null, number | null, AtlasDecision[]]>) {
      const f = fakeRun([{ seconds: 600, decisions }], 40);
      const summary = await runRounds({ budget, total, ...f });
      expect(summary.rounds).toBe(1);
      expect(f.builds()).toBe(1);
      expect(f.logs).toEqual([]);
    }
  });
});

describe('the run\'s budgets', () => {
  it('takes the total from the flag, else the config, and wants it above the first round', () => {
    const saved = process.env.ATLAS_BUDGET;
    try {
      delete process.env.ATLAS_BUDGET;
      expect(runBudgets({}, { budget: { minutes: 25, total: 29.5 } })).toEqual({ budget: 25, total: 29.5 });
      expect(runBudgets({ total: 'none' }, { budget: { minutes: 25, total: 29.5 } })).toEqual({ budget: 25, total: null });
      expect(runBudgets({ budget: '10', total: '15' }, { budget: null })).toEqual({ budget: 10, total: 15 });
      expect(runBudgets({ budget: 'none' }, { budget: { minutes: 25, total: 29.5 } })).toEqual({ budget: null, total: 29.5 });
      expect(() => runBudgets({ total: '20' }, { budget: { minutes: 25, total: 29.5 } })).toThrow(/--total 20 is not more than the generation budget of 25 minutes/);
    } finally {
      if (saved !== undefined) process.env.ATLAS_BUDGET = saved;
    }
    expect(parseConfig({ budget: { minutes: 25, total: 29.5 } }).budget).toEqual({ minutes: 25, total: 29.5 });
    expect(() => parseConfig({ budget: { minutes: 25, total: 20 } }, 'a.json')).toThrow(/a\.json: budget: budget\.total .* must be more than budget\.minutes/);
  });
});

describe('the site build step', () => {
  it('passes the generated folder to the build, and a failed build is an error with exit code 1', async () => {
    await expect(buildSite('/tmp/gen-x', [process.execPath, '-e', "process.exit(process.env.ATLAS_GENERATED_DIR === '/tmp/gen-x' ? 0 : 4)"])).resolves.toBeUndefined();
    const failed = buildSite('/tmp/gen-x', [process.execPath, '-e', 'process.exit(3)']);
    await expect(failed).rejects.toThrow(/the site build failed \(exit code 3\)/);
    await expect(failed).rejects.toMatchObject({ exitCode: 1, hint: expect.stringContaining(`\`${process.execPath} -e process.exit(3)\` retries the build alone`) });
    await expect(buildSite('/tmp/gen-x', ['/nonexistent/npm-x'])).rejects.toThrow(/could not start the site build \(\/nonexistent\/npm-x in /);
  });

  it('builds into dist/ (npm run build), or into the folder --site names (Astro\'s --outDir, resolved)', () => {
    expect(siteCommand()).toEqual(['npm', 'run', 'build']);
    expect(siteCommand('site-out')).toEqual(['npm', 'run', 'build', '--', '--outDir', path.resolve('site-out')]);
  });
});
