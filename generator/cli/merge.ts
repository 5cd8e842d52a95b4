import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../pipeline/config.ts';
import { generate } from '../pipeline/generate.ts';
import { mergeShards, shardEngines } from '../pipeline/merge.ts';
import { AtlasError } from '../errors.ts';
import { parseDeviceChoice } from '../model/device.ts';
import { resolveRuntime } from '../model/load.ts';
import { deviceOption, log } from './common.ts';

export function register(program: Command): void {
  program
    .command('merge')
    .description('combine the outputs of `atlas generate --shard i/N` runs, then assemble the atlas')
    .argument('<dirs...>', 'shard output folders (generated/shard-1-of-N ...)')
    .option('--config <file>', 'the config the shards were generated with', 'atlas.config.ts')
    .option('--out <dir>', 'merged output folder (default: the config\'s out)')
    // The device is in every network job's hash: the merge must resolve the shards' engine (checked below).
    .addOption(deviceOption(undefined, "overrides the config's; the same as the shards'"))
    .action(async (dirs: string[], flags: { config: string; out?: string; device?: string }) => {
      const { config, file } = await loadConfig(flags.config);
      if (flags.out) config.out = path.resolve(flags.out);
      if (flags.device) config.device = parseDeviceChoice(flags.device);
      const shards = dirs.map((d) => path.resolve(d));
      const engine = (await resolveRuntime({ engine: config.engine, backend: config.backend, device: config.device })).name;
      for (const [shard, theirs] of shardEngines(shards)) {
        if (theirs === engine) continue;
        throw new AtlasError(
          `${path.relative(process.cwd(), shard) || shard} ran on ${theirs}, this merge on ${engine}: it would recompute every job instead of assembling`,
          theirs.startsWith('onnxruntime-') ? `merge on a machine where that GPU provider loads, with --device ${theirs.slice('onnxruntime-'.length)} as the shards had` : `give the merge the shards' settings (--device, or the config's engine and backend) for ${theirs}`,
        );
      }
      const copied = mergeShards(shards, config.out);
      log(`merged ${dirs.length} shard(s): ${copied} file(s) copied into ${config.out}`);
      // Every job is now up to date: this only assembles (and runs any job no shard did).
      const summary = await generate({ config, configFile: file, log: (m) => log(m) });
      log(`assembled: ${summary.run} job(s) run, ${summary.skipped} up to date`);
    });
}
