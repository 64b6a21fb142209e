/** Where Debian's Chromium keeps its Vulkan loader and SwiftShader driver. */
export const CHROMIUM_LIB_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${CHROMIUM_LIB_DIR}/vk_swiftshader_icd.json`;

/**
 * Environment for a Node process that should find a Vulkan device: the SwiftShader ICD, and Chromium's
 * own libvulkan on the library path in case the system has no libvulkan1.
 */
export function gpuTestEnv(env: Record<string, string | undefined>): Record<string, string> {
  return {
    VK_ICD_FILENAMES: env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD,
  };
}
