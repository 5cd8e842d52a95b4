// Entry of every worker thread: registers tsx (loader hooks are per thread), then hands the thread to
// the pool's protocol in worker.ts. h5wasm is imported before tsx's hooks, as in bin/atlas.mjs: through
// them its 4 MB bundle costs ~4 s per thread; loaded here, the task module's imports reuse it.
await import('h5wasm/node');
const { register } = await import('tsx/esm/api');

register();
await import('./worker.ts');
