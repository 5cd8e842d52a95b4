// Versions recorded in provenance: the project's and the numeric libraries' (they can change outputs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { projectFile } from '../paths.ts';

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

let cached: Record<string, string> | null = null;

export function codeVersions(): Record<string, string> {
  cached ??= {
    'circuit-atlas': (JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string }).version,
    '@tensorflow/tfjs': versionOf('@tensorflow/tfjs'),
    'onnxruntime-node': versionOf('onnxruntime-node'),
  };
  return cached;
}
