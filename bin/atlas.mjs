#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so there is no build step between an edit and a run.
// h5wasm is imported before tsx's hooks: tsx rewrites every ESM file that contains `import(` and maps
// its source, which for h5wasm's 4 MB bundle costs ~4.5 s per run; loaded here, later imports reuse it.
await import('h5wasm/node');
const { register } = await import('tsx/esm/api');

register();
const { main } = await import('../generator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
