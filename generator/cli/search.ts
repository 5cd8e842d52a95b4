import { type Command, Option } from 'commander';
import { FAMILIES, type Family, type SearchResult, searchLayer } from '../stimuli/search.ts';
import { addModelOptions, log, type ModelFlags, openModel, printJson } from './common.ts';
import { countOrAll } from './parse.ts';
import { progressBar } from '../progress-bar.ts';
import { addStimulusOptions, contrastArg } from './tune.ts';

interface Flags extends ModelFlags {
  layer: string;
  family: Family;
  top: number;
  minResponse: number;
  size: number | 'auto';
  steps: number;
  contrast: number;
  background: 'grey' | 'noise';
  seed: number;
  batch?: number;
  json?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    addStimulusOptions(
      program
        .command('search')
        .description('rank every unit of a layer by selectivity for a stimulus family over lines: index (c - l) / (c + l), c = best family response, l = best line response (post-ReLU)')
        .requiredOption('--layer <name>', 'conv or pool layer, e.g. block3_conv4 (all units in one batched pass)')
        .addOption(new Option('--family <name>', 'stimulus family vs lines').choices([...FAMILIES]).makeOptionMandatory()),
    )
      .option('--top <k>', "units to list, or 'all'", countOrAll, 20)
      .option('--min-response <f>', "units whose best family response is below this fraction of the layer's largest are flagged weak and ranked last", contrastArg, 0.1)
      .option('--json', 'print {"model","layer","family","probe","stimuli","minResponse","units","ranking":[{"rank","unit","index","target","line","disc","weak","bestTarget","bestLine"}],"all":{"index","target","line","disc"}}'),
  ).action(async (flags: Flags) => {
    const { spec, engine } = await openModel(flags);
    const bar = progressBar('search', { unit: 'stimuli' });
    const t0 = performance.now();
    try {
      const result = await searchLayer(engine, spec, {
        layer: flags.layer,
        family: flags.family,
        top: flags.top,
        minResponse: flags.minResponse,
        size: flags.size,
        steps: flags.steps,
        contrast: flags.contrast,
        background: flags.background === 'noise' ? { kind: 'noise', seed: flags.seed } : undefined,
        batch: flags.batch,
        onProgress: (d, t) => bar.update(d, t),
      });
      bar.stop();
      if (!result.probe.rfInside) log(`warning: the units' ${result.probe.rf.size}px receptive field does not fit the ${result.probe.size}px canvas: zero padding reaches it (use --size auto)`);
      const n = result.stimuli.target + result.stimuli.line + result.stimuli.disc;
      log(`search ${flags.layer} ${flags.family}: ${n} stimuli x ${result.units} units in ${((performance.now() - t0) / 1000).toFixed(1)} s on a ${result.probe.size}px canvas`);
      if (flags.json) return printJson(result);
      printText(result);
    } finally {
      bar.stop();
      engine.dispose();
    }
  });
}

const short = (p: Record<string, unknown>) =>
  Object.entries(p)
    .filter(([k]) => k !== 'kind')
    .map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(3) : v}`)
    .join(' ');

function printText(r: SearchResult): void {
  console.log(`${r.layer} ${r.family}: index = (c - l) / (c + l), post-ReLU; ${r.stimuli.target} ${r.family.split('-')[0]} stimuli, ${r.stimuli.line} lines, ${r.stimuli.disc} discs (control); ${r.units} units`);
  console.log(`${'rank'.padStart(4)} ${'unit'.padStart(5)} ${'index'.padStart(7)} ${'c'.padStart(9)} ${'l'.padStart(9)} ${'disc'.padStart(9)}  best stimulus / best line`);
  for (const u of r.ranking) {
    const idx = u.index === null ? 'n/a' : u.index.toFixed(3);
    console.log(`${String(u.rank).padStart(4)} ${String(u.unit).padStart(5)} ${idx.padStart(7)} ${u.target.toFixed(2).padStart(9)} ${u.line.toFixed(2).padStart(9)} ${u.disc.toFixed(2).padStart(9)}${u.weak ? ' weak' : ''}  ${u.bestTarget.kind} ${short(u.bestTarget)} / ${short(u.bestLine)}`);
  }
}
