import { describe, expect, it } from 'vitest';
import { isNotInstalled } from '../../generator/model/backend.ts';

describe('optional native backends', () => {
  it('tells "not installed" (silent) from "installed but broken" (a warning)', async () => {
    const pkg = '@tensorflow/tfjs-node-not-a-package';
    const missing = await import(/* @vite-ignore */ pkg).then(() => null, (e: unknown) => e);
    expect(isNotInstalled(missing, pkg)).toBe(true);
    expect(isNotInstalled(missing, '@tensorflow/tfjs-node-gpu')).toBe(false); // another package's absence
    const broken = Object.assign(new Error('libtensorflow.so.2: cannot open shared object file'), { code: 'ERR_DLOPEN_FAILED' });
    expect(isNotInstalled(broken, pkg)).toBe(false);
  });
});
