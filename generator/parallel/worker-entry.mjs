// Entry of every worker thread: registers tsx (loader hooks are per thread), then hands the thread to
// the pool's protocol in worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
