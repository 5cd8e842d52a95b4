// The machine's arithmetic peak, an estimate: cores x FMA pipes x float32 lanes x 2 (an FMA is two
// FLOPs) x clock, from /proc/cpuinfo (flags and the reported clock; turbo and throttling ignored).
// Two FMA pipes per core is an assumption (true of recent Intel and AMD server cores); override with
// BENCH_FMA_PIPES, BENCH_CLOCK_GHZ, or the whole figure with BENCH_PEAK_GFLOPS.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface Peak {
  gflops: number;
  derivation: string;
}

export function machinePeak(): Peak {
  const info = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const flags = new Set((/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '').trim().split(/\s+/));
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') || flags.has('avx') ? 8 : 4;
  const isa = lanes === 16 ? 'AVX-512' : lanes === 8 ? 'AVX2' : 'SSE';
  const pipes = Number(process.env.BENCH_FMA_PIPES ?? 2);
  const ghz = Number(process.env.BENCH_CLOCK_GHZ ?? Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(info)?.[1] ?? 2000) / 1000);
  const cores = availableParallelism();
  const fromEnv = process.env.BENCH_PEAK_GFLOPS;
  const gflops = fromEnv ? Number(fromEnv) : cores * pipes * lanes * 2 * ghz;
  const derivation = fromEnv
    ? `BENCH_PEAK_GFLOPS=${fromEnv}`
    : `${cores} cores x ${pipes} FMA pipes x ${lanes} float32 lanes (${isa}) x 2 x ${ghz.toFixed(2)} GHz = ${gflops.toFixed(0)} GFLOP/s (estimate)`;
  return { gflops, derivation };
}
