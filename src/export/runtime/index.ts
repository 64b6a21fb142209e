/**
 * The standalone runtime of a compiled model (`.qatm`): loads the file and runs it on WebGPU (the
 * playground's integer kernels) or on the CPU (the plain-TypeScript references). Both give the same
 * integers as the playground's in-page executor; outputs are dequantized floats.
 *
 *   import { QatmRuntime } from './runtime';
 *   const rt = await QatmRuntime.create(await (await fetch('model.qatm')).arrayBuffer(), { backend: 'auto' });
 *   const { logits } = await rt.run({ x: images });         // images: Float32Array [N, C, H, W], normalized
 *   rt.dispose();
 *
 * `backend`: 'webgpu' (fails if there is no adapter), 'cpu', or 'auto' (WebGPU when available). A
 * GPUDevice may be passed in (a page that already has one); otherwise the runtime requests its own.
 * The WebGPU backend installs its device as the engine's device: use one runtime per page/worker, or
 * pass the device the page already uses.
 */
import type { IntegerModel } from '../../fixed/model';
import { runIntegerModelCpu } from '../../fixed/executor_cpu';
import { readQatm, type CompiledModel, type QatmHeader } from '../qatm';

export { readQatm, writeQatm, QatmError, QATM_VERSION, type CompiledModel, type QatmMetadata } from '../qatm';

export type Backend = 'webgpu' | 'cpu';

export interface RuntimeOptions {
  backend?: Backend | 'auto';
  device?: GPUDevice;
}

export interface IoInfo {
  name: string;
  /** Per-sample shape ([C, H, W] or [C]); the batch is in front. */
  shape: number[];
}

/** What run() needs from a backend: float inputs in, float outputs (NCHW / [N, C]) out. */
interface BackendImpl {
  run(inputs: Record<string, Float32Array>, batch: number): Promise<Record<string, Float32Array>>;
  dispose(): void;
}

class CpuBackend implements BackendImpl {
  constructor(private readonly model: IntegerModel) {}

  async run(inputs: Record<string, Float32Array>): Promise<Record<string, Float32Array>> {
    const values = runIntegerModelCpu(this.model, inputs);
    return Object.fromEntries(this.model.outputs.map((name) => [name, Float32Array.from(values.get(name)!)]));
  }

  dispose(): void {}
}

async function webgpuBackend(model: IntegerModel, device: GPUDevice | undefined): Promise<BackendImpl> {
  // Loaded on demand, so a CPU-only user never pulls in the GPU code.
  const [{ setDevice, hasDevice, getDevice }, { Tensor }, { IntegerExecutor }] = await Promise.all([
    import('../../engine/device'),
    import('../../engine/tensor'),
    import('../../fixed/gpu/executor'),
  ]);
  if (device) {
    if (!hasDevice() || getDevice() !== device) setDevice(device);
  } else if (!hasDevice()) {
    const gpu = typeof navigator !== 'undefined' ? navigator.gpu : undefined;
    if (!gpu) throw new Error('QatmRuntime: WebGPU is not available here (navigator.gpu is missing); use backend "cpu"');
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('QatmRuntime: no WebGPU adapter; use backend "cpu"');
    setDevice(await adapter.requestDevice({ requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage } }));
  }
  const executor = await IntegerExecutor.create(model);
  const info = new Map(model.values.map((v) => [v.name, v]));
  return {
    async run(inputs, batch) {
      const tensors = Object.fromEntries(model.inputs.map((name) => [name, Tensor.fromArray(inputs[name], [batch, ...info.get(name)!.shape])]));
      let results: Map<string, InstanceType<typeof Tensor>>;
      try {
        results = executor.run(tensors);
      } finally {
        for (const t of Object.values(tensors)) t.dispose();
      }
      try {
        const out: Record<string, Float32Array> = {};
        for (const name of model.outputs) out[name] = Float32Array.from(await executor.read(name, results.get(name)!));
        return out;
      } finally {
        for (const t of results.values()) t.dispose();
      }
    },
    dispose() {
      executor.dispose();
    },
  };
}

export class QatmRuntime {
  private disposed = false;

  private constructor(
    readonly header: Omit<QatmHeader, 'model'>,
    readonly model: IntegerModel,
    readonly backend: Backend,
    private readonly impl: BackendImpl,
  ) {}

  /** Parses the file (bytes or an already parsed CompiledModel) and prepares the backend. */
  static async create(file: ArrayBuffer | ArrayBufferView | CompiledModel, options: RuntimeOptions = {}): Promise<QatmRuntime> {
    const compiled = 'model' in file && 'header' in file ? file : readQatm(file);
    const wanted = options.backend ?? 'auto';
    let backend: Backend = wanted === 'auto' ? (options.device || (typeof navigator !== 'undefined' && navigator.gpu) ? 'webgpu' : 'cpu') : wanted;
    let impl: BackendImpl;
    if (backend === 'webgpu') {
      try {
        impl = await webgpuBackend(compiled.model, options.device);
      } catch (e) {
        if (wanted !== 'auto') throw e;
        backend = 'cpu';
        impl = new CpuBackend(compiled.model);
      }
    } else {
      impl = new CpuBackend(compiled.model);
    }
    return new QatmRuntime(compiled.header, compiled.model, backend, impl);
  }

  get metadata(): QatmHeader['metadata'] {
    return this.header.metadata;
  }

  get inputs(): IoInfo[] {
    return this.model.inputs.map((name) => ({ name, shape: [...this.model.values.find((v) => v.name === name)!.shape] }));
  }

  get outputs(): IoInfo[] {
    return this.model.outputs.map((name) => ({ name, shape: [...this.model.values.find((v) => v.name === name)!.shape] }));
  }

  /**
   * Runs a batch. `inputs`: one Float32Array per input name (or one array for a one-input model), each
   * [N, ...shape] flattened in NCHW order. Returns each output as a Float32Array [N, ...shape].
   */
  async run(inputs: Record<string, Float32Array> | Float32Array): Promise<Record<string, Float32Array>> {
    if (this.disposed) throw new Error('QatmRuntime: already disposed');
    const named = inputs instanceof Float32Array ? { [this.model.inputs[0]]: inputs } : inputs;
    if (inputs instanceof Float32Array && this.model.inputs.length !== 1) {
      throw new Error(`QatmRuntime: the model has ${this.model.inputs.length} inputs (${this.model.inputs.join(', ')}); pass them by name`);
    }
    let batch = -1;
    for (const io of this.inputs) {
      const data = named[io.name];
      const per = io.shape.reduce((a, b) => a * b, 1);
      if (!data) throw new Error(`QatmRuntime: no data for input "${io.name}" [N, ${io.shape.join(', ')}]`);
      const n = data.length / per;
      if (!Number.isInteger(n) || n < 1) throw new Error(`QatmRuntime: input "${io.name}" has ${data.length} values, not a multiple of [${io.shape.join(', ')}]`);
      if (batch >= 0 && n !== batch) throw new Error(`QatmRuntime: inputs disagree on the batch size (${batch} and ${n})`);
      batch = n;
    }
    return this.impl.run(named, batch);
  }

  /** Class index per sample of a [N, K] output (the first output unless named). */
  async predict(inputs: Record<string, Float32Array> | Float32Array, output = this.model.outputs[0]): Promise<number[]> {
    const out = (await this.run(inputs))[output];
    const k = this.model.values.find((v) => v.name === output)!.shape.reduce((a, b) => a * b, 1);
    const classes: number[] = [];
    for (let i = 0; i < out.length / k; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (out[i * k + j] > out[i * k + best]) best = j;
      classes.push(best);
    }
    return classes;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.impl.dispose();
  }
}
