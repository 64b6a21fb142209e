/**
 * Workgroup counts for a 1-D problem of `n` invocations, folded into two dimensions when it exceeds the
 * per-dimension limit (65535). Kernels index `gid.x + gid.y * stride`, with `stride` = gx * wg.
 */
export function grid1d(n: number, wg: number, maxPerDim = 65535): [gx: number, gy: number, stride: number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= maxPerDim) return [groups, 1, groups * wg];
  const gy = Math.ceil(groups / maxPerDim);
  const gx = Math.ceil(groups / gy);
  return [gx, gy, gx * wg];
}
