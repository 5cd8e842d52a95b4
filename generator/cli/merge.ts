import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../pipeline/config.ts';
import { generate } from '../pipeline/generate.ts';
import { mergeShards } from '../pipeline/merge.ts';
import { parseDeviceChoice } from '../model/device.ts';
import { deviceOption, log } from './common.ts';

export function register(program: Command): void {
  program
    .command('merge')
    .description('combine the outputs of `atlas generate --shard i/N` runs, then assemble the atlas')
    .argument('<dirs...>', 'shard output folders (generated/shard-1-of-N ...)')
    .option('--config <file>', 'the config the shards were generated with', 'atlas.config.ts')
    .option('--out <dir>', 'merged output folder (default: the config\'s out)')
    // The device is in every network job's hash: the merge must resolve the shards' (run it on a GPU node for --device cuda shards).
    .addOption(deviceOption(undefined, "overrides the config's; the same as the shards'"))
    .action(async (dirs: string[], flags: { config: string; out?: string; device?: string }) => {
      const { config, file } = await loadConfig(flags.config);
      if (flags.out) config.out = path.resolve(flags.out);
      if (flags.device) config.device = parseDeviceChoice(flags.device);
      const copied = mergeShards(dirs.map((d) => path.resolve(d)), config.out);
      log(`merged ${dirs.length} shard(s): ${copied} file(s) copied into ${config.out}`);
      // Every job is now up to date: this only assembles (and runs any job no shard did).
      const summary = await generate({ config, configFile: file, log: (m) => log(m) });
      log(`assembled: ${summary.run} job(s) run, ${summary.skipped} up to date`);
    });
}
