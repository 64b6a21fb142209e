/**
 * The Tensor methods model code uses (`x.relu()`, `x.flatten(1)`, `x.view(n, -1)`, `x.add(y)`, ...), each
 * the functional op of the same name, so autograd (and anything that wraps F) sees them. Installed on
 * Tensor.prototype when functional.ts loads; declared here so they type-check everywhere.
 */
import { Tensor, flattenShapeArgs, type Shape } from './tensor';
import type { Functional } from './functional';

declare module './tensor' {
  interface Tensor {
    relu(): Tensor;
    relu6(): Tensor;
    add(other: Tensor | number): Tensor;
    sub(other: Tensor | number): Tensor;
    mul(other: Tensor | number): Tensor;
    matmul(other: Tensor): Tensor;
    /** PyTorch's Tensor.flatten: start_dim defaults to 0 (unlike nn.Flatten's 1). */
    flatten(startDim?: number, endDim?: number): Tensor;
    reshape(...shape: (number | Shape)[]): Tensor;
    permute(...dims: (number | Shape)[]): Tensor;
    softmax(dim: number): Tensor;
  }
}

function scalar(v: Tensor | number): Tensor {
  return typeof v === 'number' ? Tensor.fromArray([v], [1]) : v;
}

export function installTensorMethods(F: Functional): void {
  const proto = Tensor.prototype;
  proto.relu = function (this: Tensor) {
    return F.relu(this);
  };
  proto.relu6 = function (this: Tensor) {
    return F.relu6(this);
  };
  proto.add = function (this: Tensor, other: Tensor | number) {
    return F.add(this, scalar(other));
  };
  proto.sub = function (this: Tensor, other: Tensor | number) {
    return F.sub(this, scalar(other));
  };
  proto.mul = function (this: Tensor, other: Tensor | number) {
    return F.mul(this, scalar(other));
  };
  proto.matmul = function (this: Tensor, other: Tensor) {
    return F.matmul(this, other);
  };
  proto.flatten = function (this: Tensor, startDim = 0, endDim = -1) {
    return F.flatten(this, startDim, endDim);
  };
  proto.reshape = function (this: Tensor, ...shape: (number | Shape)[]) {
    return F.reshape(this, flattenShapeArgs(shape));
  };
  proto.view = function (this: Tensor, ...shape: (number | Shape)[]) {
    return F.reshape(this, flattenShapeArgs(shape));
  };
  proto.permute = function (this: Tensor, ...dims: (number | Shape)[]) {
    return F.permute(this, flattenShapeArgs(dims));
  };
  proto.softmax = function (this: Tensor, dim: number) {
    return F.softmax(this, dim);
  };
}
