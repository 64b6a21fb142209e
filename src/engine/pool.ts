/**
 * Storage buffers pooled by exact byte size: a training loop allocates the same shapes every step, so
 * after the first step nothing is created. Freed buffers go back to their size's free list.
 */
import { getDevice, onDeviceChange } from './device';

export const STORAGE_USAGE = GPUBufferUsageFlags();

function GPUBufferUsageFlags(): number {
  // GPUBufferUsage is a global in browsers and in Node once `webgpu` globals are installed; the numeric
  // values are fixed by the spec, so fall back to them where the global is not there yet.
  const u = (globalThis as { GPUBufferUsage?: typeof GPUBufferUsage }).GPUBufferUsage;
  const STORAGE = u?.STORAGE ?? 0x80;
  const COPY_SRC = u?.COPY_SRC ?? 0x04;
  const COPY_DST = u?.COPY_DST ?? 0x08;
  return STORAGE | COPY_SRC | COPY_DST;
}

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers waiting in free lists. */
  freeBuffers: number;
  freeBytes: number;
  /** Buffers ever created (a steady training loop stops increasing this). */
  created: number;
}

/**
 * Rounds a byte size up to a multiple of 16 (at least 16): a storage binding accepts multiples of 4, but
 * kernels that move vec4s (copy) must see whole vec4s at the end of a buffer.
 */
export function storageBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private live = new Set<GPUBuffer>();
  private liveBytes = 0;
  private freeCount = 0;
  private freeBytes = 0;
  private created = 0;

  acquire(bytes: number): GPUBuffer {
    const size = storageBytes(bytes);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (buffer) {
      this.freeCount--;
      this.freeBytes -= size;
    } else {
      buffer = getDevice().createBuffer({ size, usage: STORAGE_USAGE });
      this.created++;
    }
    this.live.add(buffer);
    this.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) throw new Error('BufferPool.release: buffer is not live (released twice?)');
    this.liveBytes -= buffer.size;
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    list.push(buffer);
    this.freeCount++;
    this.freeBytes += buffer.size;
  }

  /** Destroys the free buffers (live ones stay with their tensors). */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.freeCount = 0;
    this.freeBytes = 0;
  }

  reset(): void {
    this.free.clear();
    this.live.clear();
    this.liveBytes = this.freeCount = this.freeBytes = 0;
  }

  stats(): PoolStats {
    return {
      liveBuffers: this.live.size,
      liveBytes: this.liveBytes,
      freeBuffers: this.freeCount,
      freeBytes: this.freeBytes,
      created: this.created,
    };
  }
}

export const bufferPool = new BufferPool();
onDeviceChange(() => bufferPool.reset());
