import path from 'node:path';
import type { Command } from 'commander';
import { datasetExampleSource } from '../circuit/attribution.ts';
import { progressBar } from '../progress-bar.ts';
import { POSES, type PoseResult, poseInvariance } from '../stimuli/pose.ts';
import { addDatasetOptions, addModelOptions, type DatasetFlags, loadOptions, log, type ModelFlags, openModel, printJson } from './common.ts';
import { nonNegativeInt } from './parse.ts';

interface Flags extends ModelFlags, DatasetFlags {
  layer: string;
  unit: number;
  json?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    addDatasetOptions(
      program
        .command('pose')
        .description("pose invariance on real images: the unit's top dataset examples turned by 90, 180, 270 degrees and mirrored about its receptive field's centre, and how much of its response each keeps")
        .requiredOption('--layer <name>', 'conv layer, e.g. block3_conv4')
        .requiredOption('--unit <n>', 'unit (channel) of the layer', nonNegativeInt)
        .option('--json', 'print {"model","layer","unit","probe","window","poses","examples":[{"image","x","y","dataset","post":[per pose]}],"retained":{pose: median},"weakest","reproduced","edge"}'),
    ),
  ).action(async (flags: Flags) => {
    // A missing dataset fails before any network work.
    const source = datasetExampleSource({ dataset: flags.dataset, out: flags.out, limit: flags.limit, sample: flags.sample, model: loadOptions(flags), purpose: { what: 'atlas pose' } });
    const { spec, engine } = await openModel(flags);
    const bar = progressBar('pose', { unit: 'canvases' });
    try {
      const examples = await source(flags.layer, flags.unit);
      const result = await poseInvariance(engine, spec, { layer: flags.layer, unit: flags.unit, examples, onProgress: (d, t) => bar.update(d, t) });
      bar.stop();
      if (flags.json) return printJson(result);
      printText(result);
    } finally {
      bar.stop();
      engine.dispose();
    }
  });
}

const pct = (v: number) => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : 'n/a');

function printText(r: PoseResult): void {
  const fired = r.examples.filter((e) => e.post[0] > 0).length;
  console.log(`${r.layer}:${r.unit} on its ${r.examples.length} top dataset examples, each turned about its receptive field's centre (${r.window} px window, ${r.probe.size} px canvas)`);
  if (r.edge) console.log(`(${r.edge} more top example${r.edge === 1 ? '' : 's'} left out: the field runs past the photo's edge, where the unit saw padding no cut-out holds)`);
  console.log(`median share of the unturned response kept (over the ${fired} it fires on unturned):`);
  for (const p of POSES.slice(1)) console.log(`  ${p.padEnd(8)} ${pct(r.retained[p]).padStart(5)}`);
  console.log(`at least ${pct(r.weakest)} however turned or mirrored`);
  console.log(`unturned / dataset value: ${r.reproduced.toFixed(3)} (median; 1 = the window holds all the unit saw)`);
  const width = Math.max(...r.examples.map((e) => path.basename(e.image).length));
  console.log(`\n  ${'image'.padEnd(width)} ${'dataset'.padStart(10)} ${POSES.map((p) => p.padStart(10)).join(' ')}`);
  for (const e of r.examples) console.log(`  ${path.basename(e.image).padEnd(width)} ${e.dataset.toFixed(1).padStart(10)} ${e.post.map((v) => v.toFixed(1).padStart(10)).join(' ')}`);
  log(`pose ${r.layer}:${r.unit}: ${r.examples.length * r.poses.length} canvases`);
}
