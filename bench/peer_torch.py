#!/usr/bin/env python3
# PyTorch peer of the per-layer feature-visualization bench (bench/optvis-layers.ts): the same network
# step (VGG19 forward to a layer's pre-ReLU output, or through its ReLU with "relu", then backward to the
# input for the channel objective, no weight gradients) on the same Keras weights (read with h5py), at the same input sides and batches.
# Needs Debian's python3-torch and python3-h5py (apt-get install -y python3-torch python3-h5py); it is
# never a project dependency. Argument: JSON {"weights", "layers", "sides", "batches", "rounds", "relu"}. Prints JSON
# [{"layer", "batch", "ms", "layout"}]: ms per unit-step, the best of `rounds` passes over the sides
# (after one warm-up pass), as the Node side reports its best round, in the faster of PyTorch's two
# memory layouts (NCHW, channels_last: oneDNN's blocked kernels; 10-25% faster at block3 on the Zen 5 machine),
# so that the peer runs at its best.
import json
import os
import sys
import time

import h5py
import torch
import torch.nn.functional as F

MEAN_BGR = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
ORDER = ['block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_conv2', 'block2_pool',
         'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_conv4']


def load(path, layout):
    ws = {}
    with h5py.File(path, 'r') as f:
        root = f['model_weights'] if 'model_weights' in f else f
        for name in ORDER:
            if name.endswith('pool') or name not in root:
                continue
            arrays = []
            root[name].visititems(lambda n, d: arrays.append(d[()]) if isinstance(d, h5py.Dataset) else None)
            k = next(a for a in arrays if a.ndim == 4)  # the kernel; the bias is the 1-D array
            b = next(a for a in arrays if a.ndim == 1)
            # Keras [kh, kw, in, out] -> torch [out, in, kh, kw].
            ws[name] = (torch.from_numpy(k).permute(3, 2, 0, 1).contiguous(memory_format=layout), torch.from_numpy(b))
    return ws


def forward(ws, x, layer):
    # x: RGB [0, 255] NCHW -> caffe preprocessing (BGR minus the mean), as the ONNX graphs do.
    x = x.flip(1) - MEAN_BGR
    for name in ORDER:
        if name.endswith('pool'):
            x = F.max_pool2d(x, 2, 2)
            continue
        w, b = ws[name]
        x = F.conv2d(x, w, b, padding=1)
        if name == layer:
            return x
        x = F.relu(x)
    raise ValueError(f'layer {layer} not in the weights')


def step_ms(ws, layer, batch, sides, rounds, relu, layout):
    units = torch.arange(batch)
    best = float('inf')
    inputs = [(torch.rand(batch, 3, side, side) * 255).contiguous(memory_format=layout).requires_grad_(True) for side in sides]
    for rnd in range(rounds + 1):  # round 0 warms up every size
        t = time.perf_counter()
        for x in inputs:
            act = forward(ws, x, layer)
            if relu:
                act = F.relu(act)
            obj = act[torch.arange(batch), units].mean(dim=(1, 2)).sum()  # channel objective, unit i on image i
            torch.autograd.grad(obj, x)
        if rnd > 0:
            best = min(best, (time.perf_counter() - t) * 1000 / len(sides) / batch)
    return best


def main():
    args = json.loads(sys.argv[1])
    torch.set_num_threads(int(os.environ.get('BENCH_TORCH_THREADS', os.cpu_count() or 1)))
    layouts = {'nchw': torch.contiguous_format, 'channels_last': torch.channels_last}
    weights = {name: load(args['weights'], layout) for name, layout in layouts.items()}
    rows = []
    for l in args['layers']:
        for b in args['batches']:
            ms = {name: step_ms(weights[name], l, b, args['sides'], args.get('rounds', 3), args.get('relu', False), layout) for name, layout in layouts.items()}
            best = min(ms, key=ms.get)
            rows.append({'layer': l, 'batch': b, 'ms': ms[best], 'layout': best})
    print(json.dumps(rows))


if __name__ == '__main__':
    main()
