/**
 * The compiled-model file (`.qatm`): an IntegerModel with its integer tensors, versioned, little-endian.
 *
 *   offset  size  field
 *   0       4     magic "QATM"
 *   4       4     u32 file version (QATM_VERSION; readers refuse newer major versions)
 *   8       4     u32 byte length of the JSON header (UTF-8)
 *   12      4     u32 CRC-32 (IEEE) of everything from byte 24 to the end
 *   16      4     u32 offset of the data section (a multiple of 16)
 *   20      4     u32 byte length of the data section
 *   24      …     JSON header, then zero padding up to the data offset
 *   data    …     tensors, each at a 16-byte aligned offset, little-endian int8/int16/int32
 *
 * The JSON header is `QatmHeader`: format name and version, producer, creation time, free-form
 * metadata (classes, input normalization, target march, accuracy), the tensor table (name, dtype,
 * element count, offset and byte length inside the data section), and the IntegerModel with every typed
 * array replaced by `{ "$tensor": index }`. Scales and requantization constants stay JSON numbers (doubles
 * round-trip exactly). `readQatm` checks everything and fails with a message naming what is wrong.
 */
import type { IntegerModel } from '../fixed/model';
import { INTEGER_MODEL_FORMAT } from '../fixed/model';
import { validateIntegerModel } from '../fixed/specs';

export const QATM_MAGIC = 'QATM';
export const QATM_VERSION = 1;
export const QATM_FORMAT = 'qat-playground/compiled-model';
const FIXED_HEADER_BYTES = 24;
const ALIGN = 16;

export type QatmTensorDType = 'int8' | 'int16' | 'int32';

export interface QatmTensorEntry {
  /** Where it belongs: `<op name>.weight`, `<op name>.bias`. */
  name: string;
  dtype: QatmTensorDType;
  length: number;
  offset: number;
  byteLength: number;
}

/** What a page or tool may want to know without running the model. */
export interface QatmMetadata {
  /** Class names, in output order. */
  classes?: string[];
  /** Input normalization applied before the model: x = (pixel/255 − mean) / std. */
  normalization?: { mean: number; std: number };
  /** The target profile the model was checked against. */
  march?: string;
  /** Accuracy measured by the playground (0..1), per stage. */
  accuracy?: Record<string, number>;
  /** The model's name (the class in model.ts). */
  modelName?: string;
  [key: string]: unknown;
}

export interface QatmHeader {
  format: typeof QATM_FORMAT;
  version: number;
  producer: string;
  created: string;
  metadata: QatmMetadata;
  tensors: QatmTensorEntry[];
  /** The IntegerModel with typed arrays as `{ "$tensor": index }`. */
  model: unknown;
}

export interface CompiledModel {
  header: Omit<QatmHeader, 'model'>;
  model: IntegerModel;
}

export class QatmError extends Error {
  constructor(message: string) {
    super(`compiled model (.qatm): ${message}`);
    this.name = 'QatmError';
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

type TypedInt = Int8Array | Int16Array | Int32Array;

function dtypeOf(a: TypedInt): QatmTensorDType {
  return a instanceof Int8Array ? 'int8' : a instanceof Int16Array ? 'int16' : 'int32';
}

const ELEMENT_BYTES: Record<QatmTensorDType, number> = { int8: 1, int16: 2, int32: 4 };

/** Serializes a model (with optional metadata) to the .qatm bytes. */
export function writeQatm(model: IntegerModel, metadata: QatmMetadata = {}, producer = 'qat-playground'): Uint8Array<ArrayBuffer> {
  validateIntegerModel(model);
  const arrays: TypedInt[] = [];
  const tensors: QatmTensorEntry[] = [];
  let dataLength = 0;
  const replace = (owner: string, key: string, value: unknown): unknown => {
    if (value instanceof Int8Array || value instanceof Int16Array || value instanceof Int32Array) {
      const dtype = dtypeOf(value);
      const offset = align(dataLength);
      const byteLength = value.length * ELEMENT_BYTES[dtype];
      tensors.push({ name: `${owner}.${key}`, dtype, length: value.length, offset, byteLength });
      arrays.push(value);
      dataLength = offset + byteLength;
      return { $tensor: tensors.length - 1 };
    }
    if (ArrayBuffer.isView(value)) throw new QatmError(`${owner}.${key}: ${value.constructor.name} is not an integer tensor`);
    return value;
  };
  const ops = model.ops.map((op) => Object.fromEntries(Object.entries(op).map(([k, v]) => [k, replace(op.name, k, v)])));
  const header: QatmHeader = {
    format: QATM_FORMAT,
    version: QATM_VERSION,
    producer,
    created: new Date().toISOString(),
    metadata,
    tensors,
    model: { ...model, ops },
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataOffset = align(FIXED_HEADER_BYTES + json.length);
  const dataBytes = align(dataLength);
  const out = new Uint8Array(dataOffset + dataBytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = QATM_MAGIC.charCodeAt(i);
  view.setUint32(4, QATM_VERSION, true);
  view.setUint32(8, json.length, true);
  view.setUint32(16, dataOffset, true);
  view.setUint32(20, dataBytes, true);
  out.set(json, FIXED_HEADER_BYTES);
  tensors.forEach((t, i) => {
    const a = arrays[i];
    const base = dataOffset + t.offset;
    for (let j = 0; j < a.length; j++) {
      if (t.dtype === 'int8') view.setInt8(base + j, a[j]);
      else if (t.dtype === 'int16') view.setInt16(base + 2 * j, a[j], true);
      else view.setInt32(base + 4 * j, a[j], true);
    }
  });
  view.setUint32(12, crc32(out.subarray(FIXED_HEADER_BYTES)), true);
  return out;
}

function bytesOf(input: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
}

/** Parses and checks .qatm bytes. */
export function readQatm(input: ArrayBuffer | ArrayBufferView): CompiledModel {
  const bytes = bytesOf(input);
  if (bytes.length < FIXED_HEADER_BYTES) throw new QatmError(`truncated: ${bytes.length} bytes, the fixed header alone is ${FIXED_HEADER_BYTES}`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== QATM_MAGIC) throw new QatmError(`wrong magic "${magic.replace(/[^\x20-\x7e]/g, '?')}" (a .qatm file starts with "QATM")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version > QATM_VERSION || version < 1) throw new QatmError(`file version ${version} is not supported by this runtime (it reads version ${QATM_VERSION})`);
  const jsonLength = view.getUint32(8, true);
  const crc = view.getUint32(12, true);
  const dataOffset = view.getUint32(16, true);
  const dataLength = view.getUint32(20, true);
  if (FIXED_HEADER_BYTES + jsonLength > dataOffset || dataOffset % ALIGN !== 0) {
    throw new QatmError(`header of ${jsonLength} bytes does not fit before the data section at ${dataOffset}`);
  }
  if (dataOffset + dataLength > bytes.length) {
    throw new QatmError(`truncated: the data section ends at byte ${dataOffset + dataLength}, the file has ${bytes.length}`);
  }
  const actualCrc = crc32(bytes.subarray(FIXED_HEADER_BYTES, dataOffset + dataLength));
  if (actualCrc !== crc) throw new QatmError(`checksum mismatch (stored ${crc.toString(16)}, computed ${actualCrc.toString(16)}): the file is corrupt`);
  let header: QatmHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED_HEADER_BYTES, FIXED_HEADER_BYTES + jsonLength))) as QatmHeader;
  } catch (e) {
    throw new QatmError(`the JSON header does not parse: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (header.format !== QATM_FORMAT) throw new QatmError(`format "${String(header.format)}" is not ${QATM_FORMAT}`);
  if (!Array.isArray(header.tensors)) throw new QatmError('the header has no tensor table');
  const arrays: TypedInt[] = header.tensors.map((t, i) => {
    const size = ELEMENT_BYTES[t.dtype];
    if (!size) throw new QatmError(`tensor ${i} "${t.name}": dtype "${t.dtype}" is not int8/int16/int32`);
    if (!Number.isInteger(t.length) || t.length < 0 || t.byteLength !== t.length * size || t.offset % ALIGN !== 0 || t.offset + t.byteLength > dataLength) {
      throw new QatmError(`tensor ${i} "${t.name}": offset ${t.offset} and ${t.byteLength} bytes do not fit the ${dataLength}-byte data section`);
    }
    const base = dataOffset + t.offset;
    const out = t.dtype === 'int8' ? new Int8Array(t.length) : t.dtype === 'int16' ? new Int16Array(t.length) : new Int32Array(t.length);
    for (let j = 0; j < t.length; j++) {
      out[j] = t.dtype === 'int8' ? view.getInt8(base + j) : t.dtype === 'int16' ? view.getInt16(base + 2 * j, true) : view.getInt32(base + 4 * j, true);
    }
    return out;
  });
  const model = JSON.parse(JSON.stringify(header.model), (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$tensor' in value) {
      const index = (value as { $tensor: number }).$tensor;
      const a = arrays[index];
      if (!a) throw new QatmError(`the model refers to tensor ${index}, the table has ${arrays.length}`);
      return a;
    }
    return value;
  }) as IntegerModel;
  if (!model || model.format !== INTEGER_MODEL_FORMAT) throw new QatmError('the header holds no integer model');
  try {
    validateIntegerModel(model);
  } catch (e) {
    throw new QatmError(`the model is not valid: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { model: _model, ...rest } = header;
  void _model;
  return { header: rest, model };
}
