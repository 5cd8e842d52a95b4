// npm run bench [-- section ...]: prints the project's speed and memory figures on this machine.
// Needs the weights (ATLAS_MODELS_DIR) and, for the dataset sections, ATLAS_DATASET_DIR.
import { benchCircuit } from './circuit.ts';
import { benchDataset } from './dataset.ts';
import { benchGrid } from './grid.ts';
import { benchInt8 } from './int8.ts';
import { benchMaco } from './maco.ts';
import { benchModel } from './model.ts';
import { benchOptvis } from './optvis.ts';
import { benchProfile } from './profile.ts';
import { benchStimuli } from './stimuli.ts';

const sections: Record<string, () => Promise<void>> = { model: benchModel, optvis: benchOptvis, circuit: benchCircuit, dataset: benchDataset, stimuli: benchStimuli, profile: benchProfile, grid: benchGrid, maco: benchMaco, int8: benchInt8 };
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !sections[w]);
if (unknown.length) {
  console.error(`bench: unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(sections).join(', ')}`);
  process.exit(2);
}
console.log(`circuit-atlas bench — node ${process.version}, ${(await import('node:os')).cpus().length} cores`);
// grid and maco render 24 units at the full recipe (and MACO's): tens of minutes, cached after; int8 measures what
// the engine does not use. Only when asked for.
const onRequest = new Set(['grid', 'maco', 'int8']);
for (const name of wanted.length ? wanted : Object.keys(sections).filter((s) => !onRequest.has(s))) await sections[name]();
