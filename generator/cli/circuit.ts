import { type Command, Option } from 'commander';
import { datasetExampleSource, inputAttribution } from '../circuit/attribution.ts';
import { checkExpandable } from '../circuit/expanded.ts';
import { type Circuit, circuitJson, unitCircuit } from '../circuit/index.ts';
import { type Connection, checkUnit, convStep } from '../circuit/weights.ts';
import { getSpec, readWeights } from '../model/load.ts';
import { addDatasetOptions, addModelOptions, type DatasetFlags, loadOptions, log, type ModelFlags, openModel, printJson } from './common.ts';
import { countOrAll, nonNegativeInt } from './parse.ts';

interface Flags extends ModelFlags, DatasetFlags {
  layer: string;
  unit: number;
  top: number;
  depth: number;
  rank: 'weight' | 'attribution';
  expanded?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  addModelOptions(
    addDatasetOptions(
      program
        .command('circuit')
        .description("the weights that wire a conv unit to the units before and after it: top inputs (by L2 norm, excitatory, inhibitory), outputs, expanded weights, circuit graph")
        .requiredOption('--layer <name>', 'conv layer, e.g. block3_conv4')
        .requiredOption('--unit <n>', 'unit (channel) of the layer', nonNegativeInt)
        .option('--top <k>', "connections per list and per graph node, or 'all'", countOrAll, 10)
        .option('--depth <d>', 'graph depth: levels of inputs below the unit', nonNegativeInt, 2)
        .addOption(new Option('--rank <how>', 'rank inputs by kernel norm, or by mean contribution on the unit\'s top dataset examples').choices(['weight', 'attribution']).default('weight'))
        .option('--expanded', 'also the expanded weights from the conv two layers back (ReLU as identity, max pool as average pool)')
        .option('--json', 'print {"layer","unit","inputs","excitatory","inhibitory","outputs","expanded"?,"graph":{"nodes","edges"}}'),
        'for --rank attribution: ',
    ),
  ).action(async (flags: Flags) => {
    const circuit = flags.rank === 'attribution' ? await attributed(flags) : await byWeight(flags);
    if (circuit.outputsNote) log(`note: ${circuit.outputsNote}`);
    if (flags.json) return printJson(circuitJson(circuit));
    printText(circuit);
  });
}

async function byWeight(flags: Flags): Promise<Circuit> {
  // The weights alone: no backend, no engine.
  const spec = getSpec(flags.model);
  const weights = await readWeights(spec, flags.weights);
  log(`weights: ${weights.path}`);
  return unitCircuit(spec, weights, flags.layer, flags.unit, { top: flags.top, depth: flags.depth, expanded: flags.expanded });
}

async function attributed(flags: Flags): Promise<Circuit> {
  // A missing dataset, layer or unit fails before any network or dataset work.
  const source = datasetExampleSource({
    dataset: flags.dataset,
    out: flags.out,
    limit: flags.limit,
    sample: flags.sample,
    model: loadOptions(flags),
  });
  const { spec, weights, engine } = await openModel(flags);
  try {
    const step = convStep(spec, weights, flags.layer);
    checkUnit(step, flags.unit);
    if (flags.expanded) checkExpandable(step, spec);
    const examples = await source(flags.layer, flags.unit);
    log(`attribution over the ${examples.length} top examples of ${flags.layer} unit ${flags.unit}`);
    const attribution = await inputAttribution(engine, weights, flags.layer, flags.unit, examples);
    return unitCircuit(spec, weights, flags.layer, flags.unit, { top: flags.top, depth: flags.depth, expanded: flags.expanded, attribution });
  } finally {
    engine.dispose();
  }
}

const num = (v: number) => (v >= 0 ? ' ' : '') + v.toFixed(4);

function table(title: string, list: Array<Connection & { attribution?: number }>): void {
  console.log(`\n${title}`);
  if (list.length === 0) return console.log('  (none)');
  const attr = list.some((c) => c.attribution !== undefined);
  console.log(`  ${'unit'.padEnd(22)} ${'l2'.padStart(8)} ${'sum'.padStart(8)} ${'max|w|'.padStart(8)}${attr ? ` ${'attrib'.padStart(9)}` : ''}  sign`);
  for (const c of list) {
    const name = `${c.layer}:${c.unit}${c.label ? ` (${c.label})` : ''}`;
    const a = c.attribution !== undefined ? ` ${num(c.attribution).padStart(9)}` : '';
    console.log(`  ${name.padEnd(22)} ${num(c.l2).padStart(8)} ${num(c.sum).padStart(8)} ${num(c.max).padStart(8)}${a}  ${c.sign}`);
  }
}

function printText(c: Circuit): void {
  const by = c.rank === 'attribution' ? 'mean contribution on the top dataset examples' : 'weight';
  console.log(`${c.layer} unit ${c.unit}: inputs from ${c.source}, ranked by ${by}`);
  table(`strongest inputs (${c.rank === 'attribution' ? '|contribution|' : 'L2 norm'})`, c.inputs);
  table('excitatory inputs', c.excitatory);
  table('inhibitory inputs', c.inhibitory);
  if (c.target && c.outputs.length) table(`outputs to ${c.target} (L2 norm)`, c.outputs);
  else console.log(`\noutputs: none (${c.outputsNote ?? 'no conv after this layer'})`);
  if (c.expanded) {
    const e = c.expanded;
    table(`expanded weights from ${e.source} through ${e.via} (${e.size}x${e.size} at ${e.source}'s resolution, stride ${e.stride}, origin ${e.origin})`, e.connections);
  }
  console.log(`\ngraph: ${c.graph.nodes.length} nodes, ${c.graph.edges.length} edges`);
}
