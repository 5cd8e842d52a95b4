// Options every model-using command shares, and how the CLI turns them into a loaded model.
import { type Command, Option } from 'commander';
import { BACKEND_CHOICES, parseBackendChoice } from '../model/backend.ts';
import { DEVICE_CHOICES, parseDeviceChoice } from '../model/device.ts';
import { log } from '../log.ts';
import { positiveInt } from './parse.ts';
import { ENGINE_CHOICES, type LoadedModel, type LoadOptions, loadModel, parseEngineChoice } from '../model/load.ts';

export interface ModelFlags {
  model: string;
  weights?: string;
  backend?: string;
  engine?: string;
  device?: string;
}

export function loadOptions(flags: ModelFlags): LoadOptions {
  return { model: flags.model, weights: flags.weights, backend: parseBackendChoice(flags.backend), engine: parseEngineChoice(flags.engine), device: parseDeviceChoice(flags.device) };
}

export function addModelOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--model <id>', 'model id: vgg19, or an imported model such as squeezenet1.1').default('vgg19'))
    .addOption(new Option('--weights <file>', 'the weights: Keras HDF5 for vgg19, the .onnx file for an imported model (default: $ATLAS_MODELS_DIR/<model>/, else models/<model>/)'))
    .addOption(
      new Option('--backend <name>', `tfjs backend (env ATLAS_BACKEND)`).choices([...BACKEND_CHOICES]).default(process.env.ATLAS_BACKEND ?? 'auto'),
    )
    .addOption(
      new Option('--engine <name>', 'network engine: auto = onnxruntime on CUDA, else tfjs on a GPU, else onnxruntime, else tfjs (env ATLAS_ENGINE)')
        .choices([...ENGINE_CHOICES])
        .default(process.env.ATLAS_ENGINE ?? 'auto'),
    )
    .addOption(deviceOption());
}

/** --device, shared by the model commands, `atlas generate` and `atlas merge` (where it overrides the config's). */
export function deviceOption(fallback: string | undefined = process.env.ATLAS_DEVICE ?? 'auto', where = 'env ATLAS_DEVICE'): Option {
  const opt = new Option('--device <name>', `where onnxruntime runs: auto = CUDA when its provider loads, else the CPU; cuda, webgpu = that GPU provider or exit 2 (${where})`).choices([...DEVICE_CHOICES]);
  return fallback === undefined ? opt : opt.default(fallback);
}

/** Where a command's dataset examples come from: the dataset stage's (cached in --out, shared with `atlas examples`). */
export interface DatasetFlags {
  dataset?: string;
  out: string;
  limit?: number;
  sample?: number;
}

/** --dataset, --out, --limit and --sample, for commands that read a unit's top dataset examples (`when`: e.g. 'for --rank attribution: '). */
export function addDatasetOptions(cmd: Command, when = ''): Command {
  return cmd
    .option('--dataset <dir>', `${when}image folder or CSV manifest (default $ATLAS_DATASET_DIR)`)
    .option('--out <dir>', `${when}the dataset stage's output folder, whose cache \`atlas examples\` shares (no crops are written)`, 'generated')
    .option('--limit <n>', `${when}use only the first n dataset images (sorted by path)`, positiveInt)
    .option('--sample <n>', `${when}use n dataset images spread evenly over the sorted list`, positiveInt);
}

export async function openModel(flags: ModelFlags): Promise<LoadedModel> {
  const loaded = await loadModel(loadOptions(flags));
  log(`engine: ${loaded.engine.name}; tfjs backend: ${loaded.backend.name} (${loaded.backend.provider}); weights: ${loaded.weights.path}`);
  return loaded;
}

export { log, setQuiet } from '../log.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
