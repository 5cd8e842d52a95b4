import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseColor, type Rgb } from '../stimuli/render.ts';
import { TUNE_STIMULI, type TuneResult, type TuneStimulus, tuneUnit } from '../stimuli/tuning.ts';
import { addModelOptions, log, type ModelFlags, openModel, printJson } from './common.ts';
import { nonNegativeInt, positiveInt } from './parse.ts';
import { progressBar } from '../progress-bar.ts';

interface Flags extends ModelFlags {
  layer: string;
  unit: number;
  stimulus: TuneStimulus;
  size: number | 'auto';
  steps: number;
  radius?: number[];
  width?: number[];
  length?: number;
  aspects?: number[];
  aspectAngles: number;
  ellipseSize: 'major' | 'area';
  color: Rgb;
  contrast: number;
  background: 'grey' | 'noise';
  seed: number;
  batch?: number;
  json?: boolean;
}

/** "4,8,12.5" -> positive numbers. */
export function numberList(value: string): number[] {
  const out = value.split(',').map((p) => Number(p.trim()));
  if (out.length === 0 || out.some((v) => !Number.isFinite(v) || v <= 0)) throw new InvalidArgumentError(`'${value}' is not a list of positive numbers (e.g. 4,8,12).`);
  return out;
}

/** A canvas side in pixels, or 'auto'. */
export function canvasSize(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 16) throw new InvalidArgumentError(`'${value}' is not 'auto' or an integer >= 16.`);
  return n;
}

export function colorArg(value: string): Rgb {
  try {
    return parseColor(value);
  } catch {
    throw new InvalidArgumentError(`'${value}' is not a colour (white, black, red, green, blue, yellow, or r,g,b in 0..1).`);
  }
}

export function contrastArg(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`'${value}' is not a number in [0, 1].`);
  return n;
}

export function addStimulusOptions(cmd: Command): Command {
  return cmd
    .option('--size <px>', "canvas side, or 'auto': the smallest canvas holding the unit's receptive field (the same values as 224, far faster)", canvasSize, 'auto')
    .option('--steps <n>', 'orientation steps (over 360 for arcs, edges, circle pieces; over 180 for lines, ellipses)', positiveInt, 24)
    .option('--contrast <c>', 'fraction of the way from the background to the colour', contrastArg, 1)
    .addOption(new Option('--background <kind>', 'neutral grey 0.5 or a seeded noise texture').choices(['grey', 'noise']).default('grey'))
    .option('--seed <n>', 'noise background seed', nonNegativeInt, 0)
    .option('--batch <n>', 'images per engine call (default 32, 16 above 128 px)', positiveInt);
}

export function register(program: Command): void {
  addModelOptions(
    addStimulusOptions(
      program
        .command('tune')
        .description("tuning curves of one unit to synthetic stimuli (orientation x curvature/radius/width grids, ellipse aspect), at the position whose receptive-field centre the stimuli are centred on")
        .requiredOption('--layer <name>', 'conv or pool layer, e.g. block3_conv4')
        .requiredOption('--unit <n>', 'unit (channel) of the layer', nonNegativeInt)
        .addOption(new Option('--stimulus <kind>', 'stimulus family').choices([...TUNE_STIMULI]).makeOptionMandatory()),
    )
      .option('--radius <list>', 'radii in px: circle grid; arc curvatures 1/r (default: arcs of 45..270 degrees at --length); ellipse: the best circle among them', numberList)
      .option('--width <list>', 'stroke widths in px (circle and line grids; arc and ellipse use the first)', numberList)
      .option('--length <px>', 'arc / line centreline length (default: arc s/2, line 2s, s = receptive-field size)', (v) => numberList(v)[0])
      .option('--aspects <list>', 'ellipse aspects in (0, 1] (default 1,0.9,...,0.3)', numberList)
      .option('--aspect-angles <n>', "angles of the circle's ellipse sweep, over 180 degrees", positiveInt, 4)
      .addOption(new Option('--ellipse-size <how>', 'an ellipse of the same size as a circle keeps its semi-major axis or its area').choices(['major', 'area']).default('major'))
      .option('--color <c>', 'foreground colour: white, black, ... or r,g,b in 0..1', colorArg, [1, 1, 1] as Rgb)
      .option('--json', 'print {"model","layer","unit","stimulus","probe","params","orientation","grid"?,"disc"?,"aspect"?,"summary"}'),
  ).action(async (flags: Flags) => {
    const { spec, engine } = await openModel(flags);
    const bar = progressBar('tune', { unit: 'stimuli' });
    const t0 = performance.now();
    try {
      const result = await tuneUnit(engine, spec, {
        layer: flags.layer,
        unit: flags.unit,
        stimulus: flags.stimulus,
        size: flags.size,
        steps: flags.steps,
        radii: flags.radius,
        widths: flags.width,
        length: flags.length,
        aspects: flags.aspects,
        aspectAngles: flags.aspectAngles,
        ellipseSize: flags.ellipseSize,
        color: flags.color,
        contrast: flags.contrast,
        background: flags.background === 'noise' ? { kind: 'noise', seed: flags.seed } : undefined,
        batch: flags.batch,
        onProgress: (d, t) => bar.update(d, t),
      });
      bar.stop();
      if (!result.probe.rfInside) log(`warning: the unit's ${result.probe.rf.size}px receptive field does not fit the ${result.probe.size}px canvas: zero padding reaches it (use --size auto)`);
      log(`tune ${flags.layer}:${flags.unit} ${flags.stimulus}: ${((performance.now() - t0) / 1000).toFixed(1)} s on a ${result.probe.size}px canvas`);
      if (flags.json) return printJson(result);
      printText(result);
    } finally {
      bar.stop();
      engine.dispose();
    }
  });
}

const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));

function printText(r: TuneResult): void {
  const p = r.probe;
  console.log(`${r.layer}:${r.unit} ${r.stimulus} tuning at position (${p.position.join(', ')}), centre (${p.centre.join(', ')}) px, rf ${p.rf.size} px, canvas ${p.size} px`);
  if (r.grid) {
    const g = r.grid;
    console.log(`\npost-ReLU grid: rows ${g.rows}, columns ${g.cols}`);
    const head = g.colValues.map((v) => v.toFixed(v < 1 && v > 0 ? 3 : 1));
    const cells = g.post.map((row) => row.map((v) => v.toFixed(2)));
    // Every column as wide as its widest cell, plus a gap: activations reach 5 digits at block3.
    const width = Math.max(...head.map((c) => c.length), ...cells.flat().map((c) => c.length)) + 2;
    console.log(`${g.rows.padStart(10)} |${head.map((c) => c.padStart(width)).join('')}`);
    cells.forEach((row, i) => console.log(`${g.rowValues[i].toFixed(4).padStart(10)} |${row.map((c) => c.padStart(width)).join('')}`));
  }
  const o = r.orientation;
  console.log(`\norientation curve of ${JSON.stringify(o.stimulus)}`);
  console.log(`  angle${'pre'.padStart(12)}${'post'.padStart(12)}`);
  o.angles.forEach((a, i) => console.log(`  ${a.toFixed(1).padStart(5)}${o.pre[i].toFixed(3).padStart(12)}${o.post[i].toFixed(3).padStart(12)}`));
  if (r.aspect) {
    const a = r.aspect;
    console.log(`\nellipse aspect sweep (radius ${a.radius}, width ${a.width}, same ${a.ellipseSize}; max over ${a.angles.length} angles)`);
    console.log(`  aspect${'pre'.padStart(12)}${'post'.padStart(12)}`);
    a.aspects.forEach((k, i) => console.log(`  ${k.toFixed(2).padStart(6)}${a.pre[i].toFixed(3).padStart(12)}${a.post[i].toFixed(3).padStart(12)}`));
  }
  const s = r.summary;
  console.log(`\npreferred: ${JSON.stringify(s.preferred)} -> pre ${f(s.response.pre)}, post ${f(s.response.post)}`);
  console.log(`preferred orientation ${s.preferredOrientation} deg (period ${s.orientationPeriod})`);
  console.log(`orientation selectivity ${f(s.orientationSelectivity)}, rotation invariance ${f(s.rotationInvariance)}`);
  if ('circleVsEllipse' in s) console.log(`circle vs ellipse ${f(s.circleVsEllipse)}`);
  if ('circleVsArc' in s) console.log(`circle vs its best 90-degree piece ${f(s.circleVsArc)}`);
  if ('ringVsDisc' in s) console.log(`ring vs filled disc ${f(s.ringVsDisc)}`);
  if ('curveVsLine' in s) console.log(`curve vs straight segment ${f(s.curveVsLine)}`);
}
