// The `atlas` command: thin commands over the generator's modules. Exit codes: 0 ok, 1 failure,
// 2 bad input or missing data.
import { Command, CommanderError } from 'commander';
import { AtlasError } from '../errors.ts';
import * as activations from './activations.ts';
import * as circuit from './circuit.ts';
import * as classify from './classify.ts';
import * as examples from './examples.ts';
import * as generate from './generate.ts';
import * as importModel from './import-model.ts';
import * as evaluate from './evaluate.ts';
import * as info from './info.ts';
import * as merge from './merge.ts';
import * as pose from './pose.ts';
import * as run from './run.ts';
import * as search from './search.ts';
import * as tune from './tune.ts';
import * as visualize from './visualize.ts';

export function buildProgram(): Command {
  const program = new Command('atlas')
    .description('circuit-atlas: feature visualizations, dataset examples and circuits of VGG19 and other image classifiers, as a static atlas')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [activations, circuit, classify, evaluate, examples, generate, importModel, info, merge, pose, run, search, tune, visualize]) cmd.register(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; any usage error is bad input.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof AtlasError) {
      process.stderr.write(`atlas: error: ${e.describe()}\n`);
      return e.exitCode;
    }
    process.stderr.write(`atlas: failed: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
