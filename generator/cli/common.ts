// Options every model-using command shares, and how the CLI turns them into a loaded model.
import { type Command, Option } from 'commander';
import { BACKEND_CHOICES, parseBackendChoice } from '../model/backend.ts';
import { type LoadedModel, loadModel } from '../model/load.ts';

export interface ModelFlags {
  model: string;
  weights?: string;
  backend?: string;
}

export function addModelOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--model <id>', 'model id').default('vgg19'))
    .addOption(new Option('--weights <file>', 'Keras HDF5 weights (default: $ATLAS_MODELS_DIR/<model>/*.h5, else models/<model>/)'))
    .addOption(
      new Option('--backend <name>', `tfjs backend (env ATLAS_BACKEND)`).choices([...BACKEND_CHOICES]).default(process.env.ATLAS_BACKEND ?? 'auto'),
    );
}

export async function openModel(flags: ModelFlags): Promise<LoadedModel> {
  const loaded = await loadModel({ model: flags.model, weights: flags.weights, backend: parseBackendChoice(flags.backend) });
  log(`backend: ${loaded.backend.name} (${loaded.backend.provider}); weights: ${loaded.weights.path}`);
  return loaded;
}

let quiet = false;
export function setQuiet(q: boolean): void {
  quiet = q;
}

/** Diagnostics go to stderr so that stdout stays machine-readable. */
export function log(msg: string): void {
  if (!quiet) process.stderr.write(`${msg}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
