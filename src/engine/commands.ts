/**
 * Batches dispatches into one compute pass per submit. Within a pass each dispatch is its own usage
 * scope, so dispatches see earlier writes in encode order. Uniforms live in one arena buffer: each
 * dispatch gets a 256-byte-aligned slice, written once at flush; after a submit the arena is reused,
 * since later writes are ordered after earlier submits on the queue.
 */
import { getDevice, onDeviceChange } from './device';

const UNIFORM_ALIGN = 256;
const ARENA_BYTES = 1 << 20;
const MAX_PENDING = 256;

interface Pending {
  encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | null;
  dispatches: number;
}

let pending: Pending | null = null;
let arena: GPUBuffer | null = null;
const arenaCpu = new Uint8Array(ARENA_BYTES);
let arenaUsed = 0;
let submits = 0;

function ensureArena(): GPUBuffer {
  if (!arena) {
    arena = getDevice().createBuffer({
      size: ARENA_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: 'uniform-arena',
    });
  }
  return arena;
}

function current(): Pending {
  if (!pending) pending = { encoder: getDevice().createCommandEncoder(), pass: null, dispatches: 0 };
  return pending;
}

export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** Uniform data: raw bytes, or 32-bit words (`u32`/`i32`/`f32` given by the typed array). */
export type UniformData = ArrayBufferView;

/** What a recorder sees of each dispatch (profiling scripts replay them one by one). */
export interface RecordedDispatch {
  pipeline: GPUComputePipeline;
  buffers: readonly Binding[];
  workgroups: readonly [number, number?, number?];
  uniforms?: UniformData;
}

let recorder: ((d: RecordedDispatch) => void) | null = null;

/** Sees every dispatch from now on (null stops); for profiling, not for normal runs. */
export function setDispatchRecorder(fn: ((d: RecordedDispatch) => void) | null): void {
  recorder = fn;
}

/**
 * Encodes one dispatch. `buffers` bind to @binding(0..n-1) of @group(0) in order; `uniforms`, when
 * given, binds to @binding(n).
 */
export function dispatch(
  pipeline: GPUComputePipeline,
  buffers: readonly Binding[],
  workgroups: readonly [number, number?, number?],
  uniforms?: UniformData,
): void {
  const device = getDevice();
  recorder?.({ pipeline, buffers, workgroups, uniforms: uniforms ? new Uint8Array(uniforms.buffer.slice(uniforms.byteOffset, uniforms.byteOffset + uniforms.byteLength)) : undefined });
  if (uniforms && arenaUsed + Math.max(uniforms.byteLength, 16) > ARENA_BYTES) flush();
  const p = current();
  const entries: GPUBindGroupEntry[] = buffers.map((b, i) => ({
    binding: i,
    resource: 'buffer' in b ? b : { buffer: b },
  }));
  if (uniforms) {
    const size = Math.max(16, Math.ceil(uniforms.byteLength / 16) * 16);
    arenaCpu.set(new Uint8Array(uniforms.buffer, uniforms.byteOffset, uniforms.byteLength), arenaUsed);
    entries.push({ binding: buffers.length, resource: { buffer: ensureArena(), offset: arenaUsed, size } });
    arenaUsed += Math.ceil(size / UNIFORM_ALIGN) * UNIFORM_ALIGN;
  }
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  p.pass ??= p.encoder.beginComputePass();
  p.pass.setPipeline(pipeline);
  p.pass.setBindGroup(0, bindGroup);
  const [x, y = 1, z = 1] = workgroups;
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  if (x > max || y > max || z > max) {
    throw new Error(`dispatch ${pipeline.label}: workgroups [${x}, ${y}, ${z}] exceed the device limit ${max}`);
  }
  if (x > 0 && y > 0 && z > 0) p.pass.dispatchWorkgroups(x, y, z);
  p.dispatches++;
  if (p.dispatches >= MAX_PENDING) flush();
}

/** Encodes a buffer-to-buffer copy in order with the dispatches. */
export function copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
  const p = current();
  if (p.pass) {
    p.pass.end();
    p.pass = null;
  }
  p.encoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
}

/** Submits everything encoded so far. */
export function flush(): void {
  if (!pending) return;
  const device = getDevice();
  if (pending.pass) pending.pass.end();
  if (arenaUsed > 0) device.queue.writeBuffer(ensureArena(), 0, arenaCpu, 0, arenaUsed);
  device.queue.submit([pending.encoder.finish()]);
  pending = null;
  arenaUsed = 0;
  submits++;
}

/** Writes data into a buffer in order with encoded work: pending dispatches are submitted first. */
export function writeBuffer(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
  flush();
  getDevice().queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
}

/** Reads a buffer's bytes back (after everything encoded so far has run). */
export async function readBuffer(buffer: GPUBuffer, bytes = buffer.size, offset = 0): Promise<ArrayBuffer> {
  const device = getDevice();
  const size = Math.ceil(bytes / 4) * 4;
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  copyBuffer(buffer, offset, staging, 0, size);
  flush();
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}

/** Resolves when the GPU has finished all submitted work. */
export async function sync(): Promise<void> {
  flush();
  await getDevice().queue.onSubmittedWorkDone();
}

export function submitCount(): number {
  return submits;
}

onDeviceChange(() => {
  pending = null;
  arena = null;
  arenaUsed = 0;
});
