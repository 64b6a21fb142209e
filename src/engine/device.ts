/**
 * The engine's one GPU device. The worker (in the page) or the test helper (in Node) opens it and
 * installs it here; everything else asks for it.
 */
let current: GPUDevice | null = null;
const listeners = new Set<(device: GPUDevice | null) => void>();

export function setDevice(device: GPUDevice | null): void {
  current = device;
  for (const listener of listeners) listener(device);
}

export function getDevice(): GPUDevice {
  if (!current) throw new Error('No GPU device: the engine was used before a WebGPU device was opened.');
  return current;
}

export function hasDevice(): boolean {
  return current !== null;
}

/** Called when the device changes (opened, lost, replaced), so caches tied to the old one are dropped. */
export function onDeviceChange(listener: (device: GPUDevice | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** What the page shows about the adapter. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Whether WGSL offers `dot4I8Packed` (language feature `packed_4x8_integer_dot_product`). */
  packedDot: boolean;
  /** A software adapter (SwiftShader) wants register-tiled kernels rather than workgroup-memory tiles. */
  software: boolean;
  /**
   * SwiftShader itself: its JIT neither contracts a * b + c into an fma nor reassociates float additions,
   * which the magic-number rounding of the fake quantizer and MSE observer relies on (fake_quant_math.wgsl).
   */
  swiftShader: boolean;
}

export function summarizeAdapter(info: GPUAdapterInfo, wgslFeatures?: ReadonlySet<string>): AdapterSummary {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || 'unknown',
    device: info.device || '',
    description: info.description || '',
    packedDot: wgslFeatures?.has('packed_4x8_integer_dot_product') ?? false,
    software: /swiftshader|llvmpipe|software|lavapipe/.test(text) || info.vendor === 'google',
    swiftShader: /swiftshader/.test(text) || info.vendor === 'google',
  };
}

let summaryCache: { device: GPUDevice; summary: AdapterSummary } | null = null;

/** The summary of the engine device's adapter (from `device.adapterInfo`), for choosing kernel variants. */
export function deviceAdapter(): AdapterSummary {
  const device = getDevice();
  if (summaryCache?.device !== device) {
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const summary = info
      ? summarizeAdapter(info)
      : { vendor: 'unknown', architecture: 'unknown', device: '', description: '', packedDot: false, software: false, swiftShader: false };
    summaryCache = { device, summary };
  }
  return summaryCache.summary;
}
