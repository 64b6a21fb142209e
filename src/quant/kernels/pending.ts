/** Thrown by GPU paths that are declared but not written yet. */
export function pending(what: string): never {
  throw new Error(`${what}: the WGSL kernel is not implemented yet`);
}
