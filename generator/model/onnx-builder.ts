// A small builder of ONNX graphs on onnx-proto's generated protobuf classes: inputs, constants, nodes,
// outputs, encoded as a ModelProto that onnxruntime loads from memory. Shared by the network graphs
// (model/graph-net.ts) and the image side of feature visualization (optvis/image-ort.ts).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const OPSET = 17;

/** An attribute; `{ float }` forces a FLOAT attribute for an integral value (epsilon 1, alpha 1). */
export type Attr = number | number[] | string | { float: number };

export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inits: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly initNames = new Set<string>();
  private counter = 0;

  input(name: string, elemType: number, dims: Array<number | string>): string {
    this.inputs.push(
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
      }),
    );
    return name;
  }

  /** A constant; names are unique, so asking again for a name returns the existing one. */
  floats(name: string, data: Float32Array, dims: number[]): string {
    if (this.initNames.has(name)) return name;
    this.initNames.add(name);
    this.inits.push(onnx.TensorProto.create({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }));
    return name;
  }

  /**
   * A float graph input every run feeds (declared once). Not an initializer that is also an input:
   * onnxruntime-node feeds only a session's inputNames, which leave those out, so it would keep its default.
   */
  fedFloats(name: string, dims: number[]): string {
    if (this.initNames.has(name)) return name;
    this.initNames.add(name);
    return this.input(name, FLOAT, dims);
  }

  /** An int64 constant from its raw values (an imported graph's shapes). */
  int64s(name: string, data: BigInt64Array, dims: number[]): string {
    if (this.initNames.has(name)) return name;
    this.initNames.add(name);
    this.inits.push(onnx.TensorProto.create({ name, dataType: INT64, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }));
    return name;
  }

  ints(name: string, data: number[], dims = [data.length]): string {
    if (this.initNames.has(name)) return name;
    this.initNames.add(name);
    const arr = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.inits.push(onnx.TensorProto.create({ name, dataType: INT64, dims, rawData: new Uint8Array(arr.buffer) }));
    return name;
  }

  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`);
    const attribute = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'object' && !Array.isArray(v)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v.float })
        : typeof v === 'string'
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) })
        : Array.isArray(v)
          ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
          : Number.isInteger(v)
            ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
            : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v }),
    );
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outs, attribute }));
    return outs;
  }

  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  /** Renames a value to a graph output name (an Identity node keeps the builder's names unique). */
  output(value: string, name: string): string {
    this.nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [value], output: [name] }));
    return name;
  }

  encode(outputs: string[]): Uint8Array {
    const graph = onnx.GraphProto.create({
      name: 'circuit-atlas',
      node: this.nodes,
      initializer: this.inits,
      input: this.inputs,
      output: outputs.map((name) => onnx.ValueInfoProto.create({ name })),
    });
    const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'circuit-atlas', opsetImport: [{ domain: '', version: OPSET }], graph });
    return onnx.ModelProto.encode(model).finish();
  }
}

