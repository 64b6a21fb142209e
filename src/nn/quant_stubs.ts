import { F } from '../engine/functional';
import { Tensor } from '../engine/tensor';
import { Module, callModule } from './module';

/**
 * QuantStub: where a float tensor enters the quantized part of the model. Identity in float; prepare
 * gives it an activation fake-quantizer, convert turns it into a quantize op. `scale` fixes the input
 * scale (Horizon's QuantStub(scale=...)).
 */
export class QuantStub extends Module {
  constructor(readonly args: { scale?: number | null; zero_point?: number | null } = {}) {
    super();
  }

  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** DeQuantStub: where a quantized tensor goes back to float. Identity in float. */
export class DeQuantStub extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * FloatFunctional: a module holding a functional op (add, cat, mul, ...) so that prepare can give that op
 * its own output observer, as in torch.ao.nn.quantized.FloatFunctional. Method calls go through
 * `callModule`, so a tracer records them as calls of this module.
 */
export class FloatFunctional extends Module {
  add(a: Tensor, b: Tensor): Tensor {
    return callModule(this, '_add', [a, b]) as Tensor;
  }

  add_scalar(a: Tensor, b: number): Tensor {
    return callModule(this, '_add_scalar', [a, b]) as Tensor;
  }

  sub(a: Tensor, b: Tensor): Tensor {
    return callModule(this, '_sub', [a, b]) as Tensor;
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return callModule(this, '_mul', [a, b]) as Tensor;
  }

  mul_scalar(a: Tensor, b: number): Tensor {
    return callModule(this, '_mul_scalar', [a, b]) as Tensor;
  }

  cat(xs: readonly Tensor[], dim = 0): Tensor {
    return callModule(this, '_cat', [xs, dim]) as Tensor;
  }

  matmul(a: Tensor, b: Tensor): Tensor {
    return callModule(this, '_matmul', [a, b]) as Tensor;
  }

  _add(a: Tensor, b: Tensor): Tensor {
    return F.add(a, b);
  }

  _add_scalar(a: Tensor, b: number): Tensor {
    return F.add(a, Tensor.fromArray([b], [1]));
  }

  _sub(a: Tensor, b: Tensor): Tensor {
    return F.sub(a, b);
  }

  _mul(a: Tensor, b: Tensor): Tensor {
    return F.mul(a, b);
  }

  _mul_scalar(a: Tensor, b: number): Tensor {
    return F.mul(a, Tensor.fromArray([b], [1]));
  }

  _cat(xs: readonly Tensor[], dim: number): Tensor {
    return F.cat(xs, dim);
  }

  _matmul(a: Tensor, b: Tensor): Tensor {
    return F.matmul(a, b);
  }

  override forward(): never {
    throw new Error('FloatFunctional has no forward: call one of its ops (add, cat, mul, matmul)');
  }
}
