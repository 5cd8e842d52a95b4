// Stimuli benchmark: rendering, one unit's tuning curves and a whole layer's search, on onnxruntime
// (the default engine), with the receptive-field canvas ('auto') and, for comparison, 224x224.
import os from 'node:os';
import { loadModel } from '../generator/model/load.ts';
import { renderStimulus } from '../generator/stimuli/render.ts';
import { searchLayer } from '../generator/stimuli/search.ts';
import { tuneUnit } from '../generator/stimuli/tuning.ts';
import { peakRssMb, row, timeMedian } from './util.ts';

export async function benchStimuli(): Promise<void> {
  const { spec, engine } = await loadModel({ engine: 'onnxruntime' });
  console.log(`\n# stimuli (${engine.name}; load average ${os.loadavg()[0].toFixed(1)})`);
  const ring = await timeMedian(() => renderStimulus({ kind: 'circle', radius: 40, width: 3 }), 5);
  row('render a 224x224 ring', `${ring.toFixed(2)} ms`);
  const ellipse = await timeMedian(() => renderStimulus({ kind: 'ellipse', radius: 60, aspect: 0.4, angle: 30, width: 0, filled: true }), 5);
  row('render a 224x224 filled ellipse (exact distance)', `${ellipse.toFixed(2)} ms`);
  for (const size of ['auto', 224] as const) {
    const t = performance.now();
    const r = await tuneUnit(engine, spec, { layer: 'block3_conv4', unit: 8, stimulus: 'arc', size });
    const n = r.grid!.rowValues.length * r.grid!.colValues.length;
    row(`tune block3_conv4:8 arc (${n} stimuli), canvas ${r.probe.size}px`, `${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  for (const layer of ['block2_conv2', 'block3_conv4']) {
    const t = performance.now();
    const r = await searchLayer(engine, spec, { layer, family: 'circles-vs-lines' });
    const n = r.stimuli.target + r.stimuli.line + r.stimuli.disc;
    row(`search ${layer} circles-vs-lines (${n} stimuli x ${r.units} units), canvas ${r.probe.size}px`, `${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  row('peak RSS so far', `${peakRssMb()} MB`);
  engine.dispose();
}
