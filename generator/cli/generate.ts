import path from 'node:path';
import type { Command } from 'commander';
import { AtlasError } from '../errors.ts';
import { loadConfig } from '../pipeline/config.ts';
import { resolveBudget } from '../pipeline/budget.ts';
import { generate, type GenerateOptions, type GenerateSummary } from '../pipeline/generate.ts';
import { STAGES, type Stage } from '../pipeline/jobs.ts';
import { parseDeviceChoice } from '../model/device.ts';
import { deviceOption, log } from './common.ts';
import { progressBar } from '../progress-bar.ts';

interface Flags {
  config: string;
  only?: string;
  stages?: string;
  out?: string;
  force?: boolean;
  shard?: string;
  verbose?: boolean;
  device?: string;
  budget?: string;
}

export function parseOnly(value: string | undefined): { layer: string; unit?: number } | undefined {
  if (!value) return undefined;
  const m = /^(\w+)(?::(\d+))?$/.exec(value);
  if (!m) throw new AtlasError(`--only '${value}' is not layer or layer:unit`, 'e.g. --only block3_conv4 or --only block3_conv4:8');
  return { layer: m[1], unit: m[2] === undefined ? undefined : Number(m[2]) };
}

/** "examples,circuits" -> the stages whose jobs to run (all when absent). */
export function parseStages(value: string | undefined): Stage[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(STAGES as readonly string[]).includes(n));
  if (!names.length || unknown.length) {
    throw new AtlasError(`--stages '${value}': ${names.length ? `unknown stage ${unknown.map((u) => `'${u}'`).join(', ')}` : 'no stage given'}`, `stages: ${STAGES.join(', ')} (e.g. --stages examples,circuits,graph)`);
  }
  return names as Stage[];
}

export function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (!value) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new AtlasError(`--shard '${value}' is not i/N with 1 <= i <= N`, 'e.g. --shard 1/4 ... --shard 4/4');
  return { index: index - 1, count };
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('generate the atlas data (examples, feature visualizations, circuits) from a config; skips what is up to date')
    .option('--config <file>', 'atlas config anywhere on disk (.ts, .mts, .cts, .js, .mjs, .cjs or .json)', 'atlas.config.ts')
    .option('--only <layer[:unit]>', 'only the jobs of this layer (and unit)')
    .option('--stages <list>', `only the jobs of these stages, comma-separated (${STAGES.join(', ')}); the rest are left as they are`)
    .option('--out <dir>', "write into this folder instead of the config's out")
    .option('--force', 'rerun the selected jobs even if up to date')
    .option('--shard <i/N>', 'run a deterministic 1/N of the jobs (for N machines); combine with `atlas merge`')
    .option('--budget <minutes|none>', "time budget in minutes: layer atlases run, deepest first, only while their estimate here fits (default: $ATLAS_BUDGET, else the config's budget)")
    .option('-v, --verbose', 'say what runs and what is skipped, and why')
    .addOption(deviceOption(undefined, "overrides the config's device"))
    .action(async (flags: Flags) => {
      const only = parseOnly(flags.only);
      const onlyStages = parseStages(flags.stages);
      const shard = parseShard(flags.shard);
      const { config, file } = await loadConfig(flags.config);
      const budget = resolveBudget(flags.budget, config);
      if (flags.device) config.device = parseDeviceChoice(flags.device);
      if (flags.out) config.out = path.resolve(flags.out);
      if (shard) config.out = path.join(config.out, `shard-${shard.index + 1}-of-${shard.count}`);
      await generateWithProgress({ config, configFile: file, only, stages: onlyStages, force: flags.force, shard, budget, verbose: flags.verbose });
    });
}

/** One generation with a bar on a terminal, plain progress lines off one, and a closing summary line. */
export async function generateWithProgress(opts: Omit<GenerateOptions, 'log' | 'verbose' | 'progress' | 'progressLine'> & { verbose?: boolean }): Promise<GenerateSummary> {
  // A bar on a terminal; off one (CI, nohup, a cluster job's log) plain lines: job start and finish,
  // and a status line inside long jobs every ATLAS_PROGRESS_INTERVAL seconds (30).
  const tty = process.stderr.isTTY === true;
  const bar = progressBar('jobs');
  const t0 = performance.now();
  const summary = await generate({
    ...opts,
    log: (m) => log(m),
    verbose: opts.verbose ? (m) => log(m) : undefined,
    progress: tty ? (d, t) => bar.update(Math.floor(d * 10) / 10, t) : undefined,
    progressLine: tty ? undefined : (line) => log(line),
  });
  bar.stop();
  const stages = Object.entries(summary.stages).map(([s, v]) => `${s} ${v.toFixed(1)} s`).join(', ');
  // An atlas left out whose head start reached its last unit is complete all the same.
  const left = summary.budget.filter((d) => !d.admitted && (d.headStart ?? 0) < d.pending).map((d) => `${d.layer} (${d.recipe}${d.headStart ? `; a head start on ${d.headStart} of ${d.pending} units` : ''})`);
  log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${summary.run} job(s) run, ${summary.skipped} up to date${left.length ? `, layer atlases left out by the ${opts.budget}-minute budget: ${left.join(', ')}` : ''}; ${stages || 'nothing to do'}; engine ${summary.engine}, tfjs backend ${summary.backend}; output ${path.relative(process.cwd(), summary.out) || '.'}`);
  return summary;
}
