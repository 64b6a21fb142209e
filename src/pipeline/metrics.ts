/**
 * Training metrics kept on the GPU and read back asynchronously: each step adds its per-row loss and
 * correctness (one tiny dispatch); every few steps a copy is mapped without waiting, and the totals are
 * reset in order with the following steps.
 */
import metricsWgsl from '../../shaders/metrics_accumulate.wgsl?raw';
import { Tensor, keep } from '../engine/tensor';
import { dispatch, readBuffer } from '../engine/commands';
import { getPipeline } from '../engine/pipelines';
import { fillInto } from '../engine/kernels/elementwise';
import { Uniforms } from '../engine/kernels/launch';

export interface MetricsSnapshot {
  /** Mean loss over the rows since the previous snapshot. */
  loss: number;
  /** Fraction of rows whose arg-max was the target. */
  accuracy: number;
  count: number;
}

export class GpuMetrics {
  private readonly totals = keep(Tensor.zeros([4]));

  /** Adds a batch: `rows` is [2, N] from cross_entropy_with_stats. */
  add(rows: Tensor): void {
    const N = rows.shape[1]!;
    dispatch(getPipeline('metrics_accumulate', () => metricsWgsl), [rows.buffer, this.totals.buffer], [1], new Uniforms().u32(N).build());
  }

  /** Starts reading the totals so far and resets them; resolves when the GPU has got there. */
  snapshot(): Promise<MetricsSnapshot> {
    const read = readBuffer(this.totals.buffer, 12);
    fillInto(this.totals, 0);
    return read.then((bytes) => {
      const [loss, correct, count] = new Float32Array(bytes) as unknown as [number, number, number];
      return { loss: count > 0 ? loss / count : NaN, accuracy: count > 0 ? correct / count : NaN, count };
    });
  }

  dispose(): void {
    this.totals.dispose();
  }
}

/**
 * Images/s from GPU completion times, leaving out the first step or batch (it also waits for the stage's
 * kernels to compile): 0 until two have completed. Shared by every stage that reports a speed.
 */
export class Throughput {
  private startTime = 0;
  private startImages = 0;
  private lastTime = 0;
  private lastImages = 0;
  private started = false;

  completed(images: number, time: number): void {
    if (!this.started) {
      this.started = true;
      this.startTime = time;
      this.startImages = images;
    }
    this.lastTime = time;
    this.lastImages = images;
  }

  get imagesPerSecond(): number {
    const dt = (this.lastTime - this.startTime) / 1000;
    return dt > 0 ? (this.lastImages - this.startImages) / dt : 0;
  }
}
