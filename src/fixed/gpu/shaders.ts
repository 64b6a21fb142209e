/**
 * WGSL sources of the integer kernels, assembled from shared pieces, and the choice of dot product:
 * `dot4I8Packed` where the adapter offers the WGSL language feature `packed_4x8_integer_dot_product`,
 * else a fallback that unpacks lanes with extractBits. The choice is made once per device, before the
 * first pipeline is created, and is part of every pipeline key.
 */
import dotPacked from '../../../shaders/int_dot_packed.wgsl?raw';
import dotUnpacked from '../../../shaders/int_dot_unpacked.wgsl?raw';
import intCommon from '../../../shaders/int_common.wgsl?raw';
import requantLib from '../../../shaders/requant_lib.wgsl?raw';
import { deviceAdapter, getDevice, onDeviceChange } from '../../engine/device';

export type IntegerDot = 'packed' | 'unpacked';

const FEATURE = 'packed_4x8_integer_dot_product';

let detected: IntegerDot | null = null;
let forced: IntegerDot | null = null;

/** Tests force one path to cover both on an adapter that has the packed one. */
export function forceIntegerDot(dot: IntegerDot | null): void {
  forced = dot;
}

function languageFeatures(): ReadonlySet<string> | null {
  const gpu = (globalThis as { navigator?: { gpu?: { wgslLanguageFeatures?: ReadonlySet<string> } } }).navigator?.gpu;
  return gpu?.wgslLanguageFeatures ?? null;
}

/**
 * Whether the current device compiles `dot4I8Packed`. Asks `navigator.gpu.wgslLanguageFeatures` where it
 * exists; otherwise (Dawn in Node has no navigator.gpu) compiles a probe shader inside an error scope.
 */
export async function detectIntegerDot(): Promise<IntegerDot> {
  if (detected) return detected;
  const features = languageFeatures();
  if (features) {
    detected = features.has(FEATURE) ? 'packed' : 'unpacked';
    return detected;
  }
  const device = getDevice();
  device.pushErrorScope('validation');
  const module = device.createShaderModule({
    code: `${dotPacked}\n@group(0) @binding(0) var<storage, read_write> o: array<i32>;\n@compute @workgroup_size(1) fn main() { o[0] = dot4i8(0x01020304u, 0xff010101u); }`,
    label: 'probe-dot4I8Packed',
  });
  const info = await module.getCompilationInfo();
  const error = await device.popErrorScope();
  detected = !error && !info.messages.some((m) => m.type === 'error') ? 'packed' : 'unpacked';
  return detected;
}

/** The dot product the kernels use now (detectIntegerDot must have run, unless one is forced). */
export function integerDot(): IntegerDot {
  if (forced) return forced;
  if (!detected) throw new Error('integer kernels: call detectIntegerDot() once after opening the device');
  return detected;
}

/**
 * The dot product the kernels use: the forced one, else the packed one where the adapter has it, except
 * on a software adapter, where SwiftShader's dot4I8Packed is ~3× slower than unpacking each input word's
 * lanes once (scripts/fixed_profile.ts, reference CNN conv2 at batch 256: 1672 vs 584 ms CPU).
 */
export function preferredIntegerDot(): IntegerDot {
  if (forced) return forced;
  const dot = integerDot();
  return dot === 'packed' && deviceAdapter().software ? 'unpacked' : dot;
}

export function dotSource(dot: IntegerDot): string {
  return dot === 'packed' ? dotPacked : dotUnpacked;
}

/** A kernel's full source: the dot product (its `requires` must come first), shared helpers, the kernel. */
export function integerShader(dot: IntegerDot | null, ...parts: string[]): string {
  return [dot ? dotSource(dot) : '', intCommon, requantLib, ...parts].join('\n');
}

onDeviceChange(() => {
  detected = null;
});
