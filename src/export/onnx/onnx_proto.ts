/**
 * ONNX messages (onnx.proto3 field numbers) on top of the protobuf writer: tensors, attributes, nodes,
 * value infos, the graph and the model. Only what the exporter uses.
 */
import { ProtoWriter } from './protobuf';

/** TensorProto.DataType */
export const ONNX_DTYPE = { float: 1, uint8: 2, int8: 3, int16: 5, int32: 6, int64: 7 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

const BYTES: Record<OnnxDType, number> = { float: 4, uint8: 1, int8: 1, int16: 2, int32: 4, int64: 8 };

/** AttributeProto.AttributeType */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface OnnxTensor {
  name: string;
  dtype: OnnxDType;
  dims: readonly number[];
  /** Values; written little-endian as raw_data. */
  data: ArrayLike<number>;
}

export function tensorProto(t: OnnxTensor): ProtoWriter {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new Error(`ONNX tensor "${t.name}": ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  const raw = new Uint8Array(count * BYTES[t.dtype]);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) {
    const v = t.data[i];
    switch (t.dtype) {
      case 'float':
        view.setFloat32(i * 4, v, true);
        break;
      case 'uint8':
        view.setUint8(i, v);
        break;
      case 'int8':
        view.setInt8(i, v);
        break;
      case 'int16':
        view.setInt16(i * 2, v, true);
        break;
      case 'int32':
        view.setInt32(i * 4, v, true);
        break;
      case 'int64':
        view.setBigInt64(i * 8, BigInt(v), true);
        break;
    }
  }
  const w = new ProtoWriter();
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, raw);
  return w;
}

export type AttributeValue = number | readonly number[] | string | { float: number } | { floats: readonly number[] };

function attributeProto(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`ONNX attribute ${name}: ${value} is not an integer (use { float })`);
    w.int(3, value).int(20, ATTR.INT);
  } else if (typeof value === 'string') {
    w.bytes(4, new TextEncoder().encode(value)).int(20, ATTR.STRING);
  } else if (Array.isArray(value)) {
    w.packedInts(8, value).int(20, ATTR.INTS);
  } else if ('float' in value) {
    w.float(2, value.float).int(20, ATTR.FLOAT);
  } else if ('floats' in value) {
    w.packedFloats(7, value.floats).int(20, ATTR.FLOATS);
  }
  return w;
}

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
  doc?: string;
}

export function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attributeProto(k, v));
  if (n.doc) w.string(6, n.doc);
  if (n.domain) w.string(7, n.domain);
  return w;
}

export interface OnnxValueInfo {
  name: string;
  dtype: OnnxDType;
  /** Numbers or symbolic names (the batch: 'N'). */
  shape: readonly (number | string)[];
}

export function valueInfoProto(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, ONNX_DTYPE[v.dtype]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

export interface OnnxModel {
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Operator sets: '' is the default ONNX domain. */
  opsets: Record<string, number>;
  irVersion: number;
  producer: string;
  producerVersion: string;
  doc?: string;
  metadata?: Record<string, string>;
}

export function modelProto(m: OnnxModel): Uint8Array<ArrayBuffer> {
  const graph = new ProtoWriter();
  for (const n of m.nodes) graph.message(1, nodeProto(n));
  graph.string(2, m.graphName);
  for (const t of m.initializers) graph.message(5, tensorProto(t));
  if (m.doc) graph.string(10, m.doc);
  for (const i of m.inputs) graph.message(11, valueInfoProto(i));
  for (const o of m.outputs) graph.message(12, valueInfoProto(o));
  const model = new ProtoWriter().int(1, m.irVersion);
  model.string(2, m.producer).string(3, m.producerVersion);
  model.int(5, 1);
  if (m.doc) model.string(6, m.doc);
  model.message(7, graph);
  for (const [domain, version] of Object.entries(m.opsets)) model.message(8, new ProtoWriter().string(1, domain).int(2, version));
  for (const [key, value] of Object.entries(m.metadata ?? {})) model.message(14, new ProtoWriter().string(1, key).string(2, value));
  return model.finish();
}
