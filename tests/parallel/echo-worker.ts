// Test task module: squares numbers, reports progress, fails on request.
import { threadId } from 'node:worker_threads';
import { AtlasError } from '../../generator/errors.ts';

export async function setup(init: unknown) {
  const { offset } = init as { offset: number };
  if (offset < 0) throw new AtlasError('bad offset', 'use a positive one');
  return async (req: number, progress: (p: unknown) => void) => {
    if (req === 13) throw new AtlasError('unlucky request 13', 'pick another number');
    progress({ half: req });
    return { value: req * req + offset, thread: threadId };
  };
}
