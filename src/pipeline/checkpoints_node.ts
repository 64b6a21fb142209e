/**
 * Checkpoints as files in Node (scripts): `<dir>/<key>.ckpt`, a little-endian file of a JSON header
 * (names, dtypes, shapes, byte offsets) followed by the raw tensor bytes, each aligned to 8 bytes.
 * Kept apart from checkpoints.ts so the page bundle never imports node:fs.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DType, HostArray } from '../engine/tensor';
import type { Checkpoint, CheckpointStore, CheckpointTensor } from './checkpoints';

const MAGIC = 'QATCKPT1';

interface Header {
  kind: Checkpoint['kind'];
  createdAt: number;
  meta: Record<string, unknown>;
  tensors: { name: string; dtype: DType; shape: number[]; offset: number; bytes: number }[];
}

function typed(dtype: DType, buffer: ArrayBuffer, offset: number, bytes: number): HostArray {
  const copy = buffer.slice(offset, offset + bytes);
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy);
    case 'int32':
      return new Int32Array(copy);
    case 'int16':
      return new Int16Array(copy);
    case 'int8':
      return new Int8Array(copy);
  }
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const header: Header = { kind: checkpoint.kind, createdAt: checkpoint.createdAt, meta: checkpoint.meta, tensors: [] };
  let offset = 0;
  for (const [name, t] of Object.entries(checkpoint.tensors)) {
    header.tensors.push({ name, dtype: t.dtype, shape: t.shape, offset, bytes: t.data.byteLength });
    offset += Math.ceil(t.data.byteLength / 8) * 8;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((MAGIC.length + 4 + json.length) / 8) * 8;
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  for (const entry of header.tensors) {
    const t = checkpoint.tensors[entry.name]!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), start + entry.offset);
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) throw new Error(`${source}: not a checkpoint file (magic '${magic}', expected '${MAGIC}')`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + length > bytes.length) throw new Error(`${source}: truncated header (${bytes.length} bytes)`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + length))) as Header;
  const start = Math.ceil((MAGIC.length + 4 + length) / 8) * 8;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tensors: Record<string, CheckpointTensor> = {};
  for (const e of header.tensors) {
    if (start + e.offset + e.bytes > bytes.length) throw new Error(`${source}: truncated at tensor '${e.name}'`);
    tensors[e.name] = { shape: e.shape, dtype: e.dtype, data: typed(e.dtype, buffer, start + e.offset, e.bytes) };
  }
  return { version: 1, kind: header.kind, createdAt: header.createdAt, meta: header.meta, tensors };
}

/** Checkpoints as files in a directory (made on first save). */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {}

  private path(key: string): string {
    if (!/^[\w.:-]+$/.test(key)) throw new Error(`checkpoint key '${key}': use letters, digits, '.', ':', '_' and '-' only`);
    return join(this.dir, `${key.replaceAll(':', '__')}.ckpt`);
  }

  async save(key: string, checkpoint: Checkpoint): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.path(key), encodeCheckpoint(checkpoint));
  }

  async load(key: string): Promise<Checkpoint | null> {
    const path = this.path(key);
    if (!existsSync(path)) return null;
    return decodeCheckpoint(new Uint8Array(readFileSync(path)), path);
  }

  async delete(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }

  async keys(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.ckpt'))
      .map((f) => f.slice(0, -'.ckpt'.length).replaceAll('__', ':'));
  }
}
