// `atlas run` (`npm run atlas`): generation and the site build in one command, within the config's
// budget; when the build leaves time in `budget.total` for layer-atlas units still missing, another
// generation round and build (pipeline/rounds.ts).
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { AtlasError } from '../errors.ts';
import { parseDeviceChoice } from '../model/device.ts';
import { PROJECT_ROOT as ROOT } from '../paths.ts';
import { parseBudget, resolveBudget } from '../pipeline/budget.ts';
import { loadConfig } from '../pipeline/config.ts';
import { openRunLog } from '../pipeline/progress.ts';
import { runRounds } from '../pipeline/rounds.ts';
import { deviceOption, log } from './common.ts';
import { generateWithProgress } from './generate.ts';

interface Flags {
  config: string;
  budget?: string;
  total?: string;
  verbose?: boolean;
  device?: string;
  site?: string;
}

/** The first round's budget and the whole run's, both in minutes (null: none); the total must exceed the first. */
export function runBudgets(flags: Pick<Flags, 'budget' | 'total'>, config: { budget?: { minutes: number; total?: number } | null }): { budget: number | null; total: number | null } {
  const budget = resolveBudget(flags.budget, config);
  const total = flags.total === undefined ? (config.budget?.total ?? null) : parseBudget(flags.total, '--total');
  if (budget !== null && total !== null && total <= budget) {
    throw new AtlasError(`--total ${total} is not more than the generation budget of ${budget} minutes: the total also holds the site build`, `e.g. --budget ${budget} --total ${budget + 5}, or --total none for one round`);
  }
  return { budget, total };
}

/** `npm run build` (Astro, then the search index), into dist/ or `siteDir` (Astro's --outDir). */
export function siteCommand(siteDir?: string): [string, ...string[]] {
  return siteDir === undefined ? ['npm', 'run', 'build'] : ['npm', 'run', 'build', '--', '--outDir', path.resolve(siteDir)];
}

/** The site build on `generated`; its output goes to this terminal. A failed build exits 1. */
export function buildSite(generated: string, command: [string, ...string[]] = siteCommand()): Promise<void> {
  const retry = `the generated data is kept: \`${command.join(' ')}\` retries the build alone`;
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ATLAS_GENERATED_DIR: generated } });
    child.on('error', (e) => reject(new AtlasError(`could not start the site build (${command.join(' ')} in ${ROOT}): ${e.message}`, retry, 1)));
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new AtlasError(`the site build failed (${signal ?? `exit code ${code}`})`, `its output is above; ${retry}`, 1))));
  });
}

export function register(program: Command): void {
  program
    .command('run')
    .description("generate the atlas and build the site into dist/ (what `npm run atlas` runs); with the config's budget.total, a second round when the build leaves time for layer-atlas units still missing")
    .option('--config <file>', 'atlas config anywhere on disk (.ts, .mts, .cts, .js, .mjs, .cjs or .json)', 'atlas.config.ts')
    .option('--budget <minutes|none>', "the first round's generation budget (default: $ATLAS_BUDGET, else the config's budget.minutes)")
    .option('--total <minutes|none>', "minutes for the whole run, generation and site build (default: the config's budget.total)")
    .option('-v, --verbose', 'say what runs and what is skipped, and why')
    .addOption(deviceOption(undefined, "overrides the config's device"))
    .option('--site <dir>', 'build the site into this folder instead of dist/')
    .action(async (flags: Flags) => {
      const { config, file } = await loadConfig(flags.config);
      const { budget, total } = runBudgets(flags, config);
      if (flags.device) config.device = parseDeviceChoice(flags.device);
      const out = path.resolve(config.out);
      const runLog = openRunLog(out, `atlas run --config ${file}${budget === null ? ' (no budget)' : ` (budget ${budget} min${total === null ? '' : `, total ${total} min`})`}`);
      const say = (m: string) => {
        log(m);
        runLog(m);
      };
      // From the process's start: loading the code is part of the run.
      const clock = () => performance.now() / 1000;
      const summary = await runRounds({
        budget,
        total,
        generate: async (b) => (await generateWithProgress({ config, configFile: file, budget: b, verbose: flags.verbose })).budget,
        // As `npm run build` alone: $ATLAS_GENERATED_DIR when set (astro.config.mjs resolves it), else the config's out.
        build: () => buildSite(process.env.ATLAS_GENERATED_DIR || out, siteCommand(flags.site)),
        clock,
        log: say,
      });
      const builds = summary.builds.map((s) => `${s.toFixed(0)} s`).join(', ');
      say(`run: done in ${(clock() / 60).toFixed(1)} min: ${summary.rounds} generation round(s), site built in ${builds}; ${summary.missing ? `${summary.missing} layer-atlas unit(s) wait for the next run` : 'every layer atlas complete'}`);
    });
}
