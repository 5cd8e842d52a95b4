// Reads an ONNX file into the graph IR with onnx-proto's generated protobuf classes: nodes, float and
// int64 initializers (raw or typed storage), the image input. What cannot be represented is an error
// naming the file and the part.
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { AtlasError } from '../errors.ts';
import type { AttrValue, IrConst, IrGraph, IrNode } from './ir.ts';

const { onnx } = onnxProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

/** protobufjs gives int64 as a number or a Long. */
function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(String(v));
}

function constant(t: TensorProto, file: string): IrConst {
  const dims = (t.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  if (t.dataType === T.FLOAT) {
    const data = raw ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) : Float32Array.from(t.floatData ?? []);
    if (data.length !== count) throw new AtlasError(`${file}: initializer '${t.name}' holds ${data.length} floats for dims [${dims}]`, 'the file is damaged or uses external data; re-export it with the weights inside');
    return { dims, type: 'float', data };
  }
  if (t.dataType === T.INT64) {
    const data = raw ? new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(String(v))));
    return { dims, type: 'int64', data };
  }
  throw new AtlasError(`${file}: initializer '${t.name}' has data type ${T[t.dataType ?? 0] ?? t.dataType}`, 'the generator reads float32 weights and int64 shapes; convert the model to float32');
}

function attribute(a: AttributeProto, node: string, file: string): AttrValue {
  switch (a.type) {
    case A.INT:
      return num(a.i);
    case A.INTS:
      return (a.ints ?? []).map(num);
    case A.FLOAT:
      return { float: a.f ?? 0 };
    case A.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    default:
      throw new AtlasError(`${file}: node '${node}' has attribute '${a.name}' of type ${A[a.type ?? 0] ?? a.type}`, 'only int, ints, float and string attributes are read');
  }
}

/** Decodes ONNX bytes into the IR; `file` names the source in errors. */
export function decodeOnnx(bytes: Uint8Array, file: string): IrGraph {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new AtlasError(`${file} is not an ONNX model: ${(e as Error).message}`, 'pass a .onnx file exported by torch.onnx.export, tf2onnx or an ONNX model zoo');
  }
  const g = model.graph;
  if (!g) throw new AtlasError(`${file}: the ONNX model has no graph`);
  const constants = new Map<string, IrConst>();
  for (const t of g.initializer ?? []) constants.set(t.name ?? '', constant(t, file));
  const nodes: IrNode[] = [];
  for (const [i, n] of (g.node ?? []).entries()) {
    const name = n.name || `${n.opType}_${i}`;
    if (n.domain && n.domain !== 'ai.onnx') throw new AtlasError(`${file}: node '${name}' is ${n.domain}.${n.opType}, outside the standard ONNX domain`);
    if (n.opType === 'Constant') {
      const value = (n.attribute ?? []).find((a) => a.name === 'value')?.t;
      if (!value) throw new AtlasError(`${file}: Constant node '${name}' has no tensor value`);
      constants.set(n.output![0], constant(value, file));
      continue;
    }
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ''] = attribute(a, name, file);
    nodes.push({ op: n.opType ?? '', name, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs });
  }
  const inputs = (g.input ?? []).filter((v) => !constants.has(v.name ?? ''));
  if (inputs.length !== 1) {
    throw new AtlasError(`${file}: the graph has ${inputs.length} non-constant inputs (${inputs.map((v) => v.name).join(', ')})`, 'an image classifier has exactly one input, the image batch');
  }
  const dims = (inputs[0].type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && num(d.dimValue) > 0 ? num(d.dimValue) : null));
  if (dims.length !== 4) throw new AtlasError(`${file}: input '${inputs[0].name}' has ${dims.length} dims`, 'the generator expects an NCHW image input [N, 3, H, W]');
  return { input: inputs[0].name ?? '', inputDims: dims, outputs: (g.output ?? []).map((v) => v.name ?? ''), nodes, constants };
}

export function readOnnx(file: string): IrGraph {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new AtlasError(`cannot read the ONNX model ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path');
  }
  return decodeOnnx(bytes, file);
}
