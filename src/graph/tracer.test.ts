import { describe, expect, it } from 'vitest';
import * as nn from '../nn/index';
import { Module } from '../nn/module';
import { F, torch, dslRuntime } from '../dsl/torch';
import { symbolic_trace, parameterNames } from './tracer';
import { GraphModule } from './graph_module';
import { TraceError, type TraceValue } from './trace_value';
import { registerLeafModule } from './leaf';
import type { Node } from './node';
import type { Tensor } from '../engine/tensor';

class RefCNN extends Module {
  quant = new nn.QuantStub();
  conv1 = new nn.Conv2d(1, 16, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(16);
  relu1 = new nn.ReLU();
  pool1 = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(16, 32, 3, { padding: 1 });
  bn2 = new nn.BatchNorm2d(32);
  relu2 = new nn.ReLU();
  pool2 = new nn.MaxPool2d(2);
  classifier = new nn.Linear(1568, 10);
  dequant = new nn.DeQuantStub();

  override forward(x: TraceValue): unknown {
    x = this.quant(x);
    x = this.pool1(this.relu1(this.bn1(this.conv1(x))));
    x = this.pool2(this.relu2(this.bn2(this.conv2(x))));
    x = torch.flatten(x, 1) as TraceValue;
    return this.dequant(this.classifier(x));
  }
}

function summary(nodes: readonly Node[]): string[] {
  return nodes.map((n) => `${n.op} ${n.name} ${n.op === 'call_module' && n.method !== 'forward' ? `${n.target}.${n.method}` : n.target}`);
}

describe('symbolic_trace', () => {
  it('records the reference CNN as placeholder, module calls, a functional flatten and the output', () => {
    const gm = symbolic_trace(new RefCNN());
    expect(summary(gm.graph.nodes)).toEqual([
      'placeholder x x',
      'call_module quant quant',
      'call_module conv1 conv1',
      'call_module bn1 bn1',
      'call_module relu1 relu1',
      'call_module pool1 pool1',
      'call_module conv2 conv2',
      'call_module bn2 bn2',
      'call_module relu2 relu2',
      'call_module pool2 pool2',
      'call_function flatten torch.flatten',
      'call_module classifier classifier',
      'call_module dequant dequant',
      'output output output',
    ]);
    const flatten = gm.graph.find('flatten')!;
    expect(flatten.args[0]).toBe(gm.graph.find('pool2'));
    expect(flatten.args[1]).toBe(1);
    expect(gm.original_name).toBe('RefCNN');
    // The GraphModule holds the same submodules under the same names: state_dict keys do not change.
    expect([...gm.state_dict().keys()]).toEqual([...new RefCNN().state_dict().keys()]);
  });

  it('prints a table like torch.fx print_tabular', () => {
    class Small extends Module {
      conv = new nn.Conv2d(1, 2, 1);
      override forward(x: TraceValue, y: TraceValue): unknown {
        return torch.cat([this.conv(x), F.relu(y)], 1);
      }
    }
    expect(symbolic_trace(new Small()).graph.print_tabular()).toBe(
      [
        'opcode         name              target                args                 kwargs',
        '-------------  ----------------  --------------------  -------------------  ------',
        'placeholder    x                 x                     ()                   {}',
        'placeholder    y                 y                     ()                   {}',
        'call_module    conv              conv                  (x,)                 {}',
        'call_function  relu              F.relu                (y,)                 {}',
        'call_module    _generated_cat_0  _generated_cat_0.cat  ([conv, relu], 1)    {}',
        'output         output            output                (_generated_cat_0,)  {}',
      ].join('\n'),
    );
  });

  it('turns functional add/mul/cat/matmul and the rewritten + and * into generated modules, numbered per kind', () => {
    class Ops extends Module {
      override forward(a: TraceValue, b: TraceValue): unknown {
        const s = dslRuntime.add(a, b) as TraceValue; // a + b
        const t = torch.add(s, a) as TraceValue;
        const u = dslRuntime.mul(t, 0.5) as TraceValue; // t * 0.5
        const v = dslRuntime.add(2, u) as TraceValue; // 2 + u
        const w = torch.matmul(v, b.permute(1, 0));
        return { sum: w, parts: [s.mul(t), torch.cat([a, b])] };
      }
    }
    const gm = symbolic_trace(new Ops());
    expect(summary(gm.graph.nodes)).toEqual([
      'placeholder a a',
      'placeholder b b',
      'call_module _generated_add_0 _generated_add_0.add',
      'call_module _generated_add_1 _generated_add_1.add',
      'call_module _generated_mul_scalar_0 _generated_mul_scalar_0.mul_scalar',
      'call_module _generated_add_scalar_0 _generated_add_scalar_0.add_scalar',
      'call_method permute permute',
      'call_module _generated_matmul_0 _generated_matmul_0.matmul',
      'call_module _generated_mul_0 _generated_mul_0.mul',
      'call_module _generated_cat_0 _generated_cat_0.cat',
      'output output output',
    ]);
    expect(gm.graph.find('_generated_add_scalar_0')!.args.slice(1)).toEqual([2]);
    expect(gm.get_submodule('_generated_add_0')).toBeInstanceOf(nn.FloatFunctional);
    const out = gm.graph.output.args[0] as { sum: Node; parts: Node[] };
    expect(out.sum.name).toBe('_generated_matmul_0');
    expect(out.parts.map((n) => n.name)).toEqual(['_generated_mul_0', '_generated_cat_0']);
  });

  it('records a - b as a generated sub, x - 2 as add_scalar(x, -2) and 2 - x as (-1 * x) + 2', () => {
    class Sub extends Module {
      override forward(a: TraceValue, b: TraceValue): unknown {
        return [dslRuntime.sub(a, b), dslRuntime.sub(a, 2), dslRuntime.sub(2, b)];
      }
    }
    const gm = symbolic_trace(new Sub());
    expect(summary(gm.graph.nodes)).toEqual([
      'placeholder a a',
      'placeholder b b',
      'call_module _generated_sub_0 _generated_sub_0.sub',
      'call_module _generated_add_scalar_0 _generated_add_scalar_0.add_scalar',
      'call_module _generated_mul_scalar_0 _generated_mul_scalar_0.mul_scalar',
      'call_module _generated_add_scalar_1 _generated_add_scalar_1.add_scalar',
      'output output output',
    ]);
    expect(gm.graph.find('_generated_add_scalar_0')!.args[1]).toBe(-2);
    expect(gm.graph.find('_generated_mul_scalar_0')!.args[1]).toBe(-1);
    expect(dslRuntime.sub(7, 2)).toBe(5);
  });

  it('traces through user modules and containers, naming nodes by dotted path', () => {
    class Block extends Module {
      conv = new nn.Conv2d(4, 4, 3, { padding: 1 });
      relu = new nn.ReLU();
      override forward(x: TraceValue): unknown {
        return this.relu(dslRuntime.add(this.conv(x), x));
      }
    }
    class Net extends Module {
      layers = new nn.Sequential(new Block(), new Block());
      ff = new nn.FloatFunctional();
      override forward(x: TraceValue): unknown {
        const y = this.layers(x);
        return this.ff.add(y, x.flatten(1).view(-1, 4) as unknown as Tensor);
      }
    }
    const gm = symbolic_trace(new Net());
    expect(summary(gm.graph.nodes)).toEqual([
      'placeholder x x',
      'call_module layers_0_conv layers.0.conv',
      'call_module _generated_add_0 _generated_add_0.add',
      'call_module layers_0_relu layers.0.relu',
      'call_module layers_1_conv layers.1.conv',
      'call_module _generated_add_1 _generated_add_1.add',
      'call_module layers_1_relu layers.1.relu',
      'call_method flatten flatten',
      'call_method view view',
      'call_module ff ff.add',
      'output output output',
    ]);
    expect(gm.graph.find('view')!.args.slice(1)).toEqual([-1, 4]);
  });

  it('names repeated calls of a shared module relu, relu_1 and skips Identity', () => {
    class Shared extends Module {
      relu = new nn.ReLU();
      id = new nn.Identity();
      override forward(x: TraceValue): unknown {
        return this.relu(this.id(this.relu(x)));
      }
    }
    const gm = symbolic_trace(new Shared());
    expect(summary(gm.graph.nodes)).toEqual(['placeholder x x', 'call_module relu relu', 'call_module relu_1 relu', 'output output output']);
  });

  it('rejects data-dependent control flow and modules that are not submodules', () => {
    class Branchy extends Module {
      relu = new nn.ReLU();
      override forward(x: TraceValue): unknown {
        if (dslRuntime.truth(this.relu(x))) return x;
        return x;
      }
    }
    expect(() => symbolic_trace(new Branchy())).toThrow(TraceError);
    expect(() => symbolic_trace(new Branchy())).toThrow(/data-dependent control flow.*'relu'/);

    class Compare extends Module {
      override forward(x: TraceValue): unknown {
        return (x as unknown as number) > 0 ? x : x;
      }
    }
    expect(() => symbolic_trace(new Compare())).toThrow(/data-dependent value: the traced tensor 'x'/);

    class Stray extends Module {
      override forward(x: TraceValue): unknown {
        return new nn.ReLU()(x);
      }
    }
    expect(() => symbolic_trace(new Stray())).toThrow(/ReLU called in forward is not a submodule/);
  });

  it('records x.size() and x.shape[i] as graph values usable in view', () => {
    class Shapes extends Module {
      override forward(x: TraceValue): unknown {
        return x.view(x.shape[0], x.size(1), -1);
      }
    }
    const gm = symbolic_trace(new Shapes());
    expect(summary(gm.graph.nodes)).toEqual([
      'placeholder x x',
      'call_method size size',
      'call_function getitem getitem',
      'call_method size_1 size',
      'call_method view view',
      'output output output',
    ]);
  });

  it('tracing a GraphModule again gives the same graph', () => {
    const gm = symbolic_trace(new RefCNN());
    const again = symbolic_trace(gm);
    expect(again.graph.print_tabular()).toBe(gm.graph.print_tabular());
  });

  it('reads forward parameter names, including defaults and rest parameters', () => {
    expect(parameterNames(function forward(x: number, y = [1, 2], ...rest: number[]) {
      return [x, y, rest];
    })).toEqual(['x', 'y', 'rest']);
    expect(parameterNames((a: number, { b }: { b: number }) => a + b)).toEqual(['a', 'input_1']);
  });
});

// Leaves that compute on plain numbers, to run a GraphModule without tensor kernels.
class Scale extends Module {
  constructor(readonly k: number) {
    super();
  }
  override forward(x: number): number {
    return x * this.k;
  }
}
class Add extends Module {
  override forward(x: number, y: number): number {
    return x + y;
  }
}
registerLeafModule(Scale);
registerLeafModule(Add);

describe('GraphModule', () => {
  it('runs the graph node by node and returns nested outputs', () => {
    class Net extends Module {
      double = new Scale(2);
      triple = new Scale(3);
      add = new Add();
      override forward(x: TraceValue, y: TraceValue): unknown {
        const a = this.double(x);
        return { sum: this.add(a, this.triple(y)), both: [a, y] };
      }
    }
    const gm = symbolic_trace(new Net());
    expect(gm).toBeInstanceOf(GraphModule);
    expect(gm(5, 7)).toEqual({ sum: 31, both: [10, 7] });
    expect(() => gm(1)).toThrow(/expects 2 input\(s\) \(x, y\), got 1/);
  });

  it('names the failing node in errors', () => {
    class Boom extends Module {
      override forward(): number {
        throw new Error('kaput');
      }
    }
    registerLeafModule(Boom);
    class Net extends Module {
      boom = new Boom();
      override forward(x: TraceValue): unknown {
        return this.boom(x);
      }
    }
    const gm = symbolic_trace(new Net());
    expect(() => gm(1)).toThrow(/^boom \[boom\]: kaput$/);
  });
});

describe('unsupported tensor methods', () => {
  it('name the method and what is supported', () => {
    class Sig extends Module {
      override forward(x: TraceValue): unknown {
        return (x as unknown as { sigmoid(): unknown }).sigmoid();
      }
    }
    expect(() => symbolic_trace(new Sig())).toThrow(/Tensor\.sigmoid is not supported in forward \(traced tensor 'x'\); supported tensor methods: add, sub, mul/);
  });
});
