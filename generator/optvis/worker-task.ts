// Worker task: each worker thread loads its own engine once, then renders the batches it is sent.
import type { LoadOptions } from '../model/load.ts';
import { loadModel } from '../model/load.ts';
import type { Progress } from '../parallel/protocol.ts';
import { render, type RenderRequest, type RenderResult } from './render.ts';

export async function setup(init: unknown): Promise<(req: RenderRequest, progress: Progress) => Promise<RenderResult>> {
  const { engine } = await loadModel(init as LoadOptions);
  return (req, progress) => render(engine, req, (step) => progress(step));
}
