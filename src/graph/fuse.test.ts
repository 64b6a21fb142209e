import { describe, expect, it } from 'vitest';
import * as nn from '../nn/index';
import { Module } from '../nn/module';
import { F, torch, dslRuntime } from '../dsl/torch';
import {
  ConvAddReLU2d,
  ConvBnAddReLU2d,
  ConvBnReLU2d,
  ConvReLU62d,
  LinearReLU,
  foldBnParams,
  FusedConv2d,
} from '../nn/fused';
import { fuse_fx } from './fuse';
import { fuse_modules } from './fuse_modules';
import type { TraceValue } from './trace_value';
import type { Node } from './node';

function ops(nodes: readonly Node[]): string[] {
  return nodes.filter((n) => n.op !== 'placeholder' && n.op !== 'output').map((n) => `${n.name}:${n.target}`);
}

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
    return this.dequant(this.classifier(torch.flatten(x, 1)));
  }
}

/** Horizon's ModelForFusion: conv → bn → (+ y) → relu, with the conv output as the add's first or second operand. */
class ModelForFusion extends Module {
  quantx = new nn.QuantStub();
  quanty = new nn.QuantStub();
  conv = new nn.Conv2d(3, 3, 3);
  bn = new nn.BatchNorm2d(3);
  relu = new nn.ReLU();
  dequant = new nn.DeQuantStub();

  constructor(readonly convFirst: boolean) {
    super();
  }

  override forward(x: TraceValue, y: TraceValue): unknown {
    x = this.quantx(x);
    y = this.quanty(y);
    x = this.bn(this.conv(x));
    x = (this.convFirst ? dslRuntime.add(x, y) : dslRuntime.add(y, x)) as TraceValue;
    return this.dequant(this.relu(x));
  }
}

describe('fuse_fx', () => {
  it('fuses conv-bn-relu of the reference CNN; bn and relu become Identity', () => {
    const model = new RefCNN();
    const conv1 = model.conv1;
    const gm = fuse_fx(model);
    expect(ops(gm.graph.nodes)).toEqual([
      'quant:quant',
      'conv1:conv1',
      'pool1:pool1',
      'conv2:conv2',
      'pool2:pool2',
      'flatten:torch.flatten',
      'classifier:classifier',
      'dequant:dequant',
    ]);
    const fused = gm.get_submodule('conv1');
    expect(fused).toBeInstanceOf(ConvBnReLU2d);
    expect((fused as ConvBnReLU2d).conv).toBe(conv1);
    expect((fused as ConvBnReLU2d).fused_names).toEqual(['conv1', 'bn1', 'relu1']);
    expect(gm.get_submodule('bn1')).toBeInstanceOf(nn.Identity);
    expect(gm.get_submodule('relu2')).toBeInstanceOf(nn.Identity);
    expect(gm.get_submodule('classifier')).toBeInstanceOf(nn.Linear);
    expect(gm.fusions.map((f) => `${f.name}=${f.type}`)).toEqual(['conv1=ConvBnReLU2d', 'conv2=ConvBnReLU2d']);
    expect([...gm.state_dict().keys()]).toContain('conv1.bn.running_mean');
  });

  for (const convFirst of [true, false]) {
    it(`fuses conv-bn-add-relu into _generated_add_0 with the conv output as the ${convFirst ? 'first' : 'second'} operand`, () => {
      const gm = fuse_fx(new ModelForFusion(convFirst));
      expect(ops(gm.graph.nodes)).toEqual(['quantx:quantx', 'quanty:quanty', '_generated_add_0:_generated_add_0', 'dequant:dequant']);
      const node = gm.graph.find('_generated_add_0')!;
      expect(node.method).toBe('forward');
      expect(node.args.map((a) => (a as Node).name)).toEqual(['quantx', 'quanty']);
      expect(gm.get_submodule('_generated_add_0')).toBeInstanceOf(ConvBnAddReLU2d);
      for (const name of ['conv', 'bn', 'relu']) expect(gm.get_submodule(name)).toBeInstanceOf(nn.Identity);
      expect(gm.fusions[0]!.members).toEqual(['conv', 'bn', '_generated_add_0', 'relu']);
    });
  }

  it('fuses linear + functional relu, conv + relu6, conv + FloatFunctional add + relu', () => {
    class Mixed extends Module {
      fc = new nn.Linear(4, 4);
      conv = new nn.Conv2d(1, 1, 1);
      act = new nn.ReLU6();
      conv2 = new nn.Conv2d(1, 1, 1);
      skip = new nn.FloatFunctional();
      relu = new nn.ReLU();
      override forward(x: TraceValue, img: TraceValue): unknown {
        const a = F.relu(this.fc(x));
        const b = this.act(this.conv(img));
        const c = this.relu(this.skip.add(this.conv2(img), b));
        return [a, c];
      }
    }
    const gm = fuse_fx(new Mixed());
    expect(ops(gm.graph.nodes)).toEqual(['fc:fc', 'conv:conv', 'skip:skip']);
    expect(gm.get_submodule('fc')).toBeInstanceOf(LinearReLU);
    expect(gm.get_submodule('conv')).toBeInstanceOf(ConvReLU62d);
    expect(gm.get_submodule('skip')).toBeInstanceOf(ConvAddReLU2d);
    expect(gm.get_submodule('conv2')).toBeInstanceOf(nn.Identity);
  });

  it('leaves the traced model itself unchanged, also inside nested containers', () => {
    class Nested extends Module {
      block = new nn.Sequential(new nn.Conv2d(1, 1, 1), new nn.BatchNorm2d(1), new nn.ReLU());
      override forward(x: TraceValue): unknown {
        return this.block(x);
      }
    }
    const model = new Nested();
    const gm = fuse_fx(model);
    expect(gm.get_submodule('block.0')).toBeInstanceOf(ConvBnReLU2d);
    expect(gm.get_submodule('block.1')).toBeInstanceOf(nn.Identity);
    expect(model.block.get_submodule('0')).toBeInstanceOf(nn.Conv2d);
    expect(model.block.get_submodule('1')).toBeInstanceOf(nn.BatchNorm2d);
    expect((gm.get_submodule('block.0') as ConvBnReLU2d).conv).toBe(model.block.get_submodule('0'));
  });

  it('does not fuse across a value used twice or a module called twice', () => {
    class Branch extends Module {
      conv = new nn.Conv2d(1, 1, 1);
      bn = new nn.BatchNorm2d(1);
      relu = new nn.ReLU();
      conv2 = new nn.Conv2d(1, 1, 1);
      override forward(x: TraceValue): unknown {
        const y = this.conv(x); // used by bn and by the add: stays a plain conv
        const z = this.relu(this.bn(y));
        const w = this.relu(this.conv2(z)); // relu is shared: conv2 stays unfused
        return dslRuntime.add(w, y);
      }
    }
    const gm = fuse_fx(new Branch());
    expect(gm.fusions).toEqual([]);
    expect(ops(gm.graph.nodes)).toEqual(['conv:conv', 'bn:bn', 'relu:relu', 'conv2:conv2', 'relu_1:relu', '_generated_add_0:_generated_add_0']);
  });
});

describe('fuse_modules (eager)', () => {
  it('fuses named groups in place: the first takes the fused module, the rest become Identity', () => {
    const model = new RefCNN();
    const out = fuse_modules(model, [
      ['conv1', 'bn1', 'relu1'],
      ['conv2', 'bn2', 'relu2'],
    ]);
    expect(out).toBe(model);
    expect(model.conv1).toBeInstanceOf(ConvBnReLU2d);
    expect(model.bn1).toBeInstanceOf(nn.Identity);
    expect(model.relu2).toBeInstanceOf(nn.Identity);
    // Tracing the eager-fused model skips the Identity calls.
    const gm = fuse_fx(model);
    expect(ops(gm.graph.nodes)).toEqual([
      'quant:quant',
      'conv1:conv1',
      'pool1:pool1',
      'conv2:conv2',
      'pool2:pool2',
      'flatten:torch.flatten',
      'classifier:classifier',
      'dequant:dequant',
    ]);
  });

  it('puts a conv+add fusion in place of the FloatFunctional and rejects other sequences', () => {
    class Res extends Module {
      conv = new nn.Conv2d(2, 2, 1);
      bn = new nn.BatchNorm2d(2);
      add = new nn.FloatFunctional();
      relu = new nn.ReLU();
    }
    const m = fuse_modules(new Res(), ['conv', 'bn', 'add', 'relu']);
    expect(m.add).toBeInstanceOf(ConvBnAddReLU2d);
    expect(m.conv).toBeInstanceOf(nn.Identity);
    expect(() => fuse_modules(new Res(), ['bn', 'conv'])).toThrow(/cannot fuse bn, conv \[BatchNorm2d, Conv2d\]/);
    expect(() => fuse_modules(new Res(), ['conv', 'nope'])).toThrow(/has no submodule 'nope'/);
  });
});

describe('BN folding', () => {
  it('foldBnParams gives the weights of conv followed by eval-mode BN', () => {
    // A 1×1 conv with 2 output channels and 3 inputs is a matrix product per pixel.
    const w = [0.5, -1, 2, 1.5, 0.25, -0.75];
    const b = [0.1, -0.2];
    const bn = { mean: [0.3, -0.4], var: [2, 0.5], gamma: [1.2, 0.8], beta: [0.05, -0.1], eps: 1e-5 };
    const x = [0.7, -1.3, 2.1];
    const folded = foldBnParams(w, b, bn);
    for (let c = 0; c < 2; c++) {
      const conv = w.slice(c * 3, c * 3 + 3).reduce((s, wi, i) => s + wi * x[i]!, b[c]!);
      const expected = ((conv - bn.mean[c]!) / Math.sqrt(bn.var[c]! + bn.eps)) * bn.gamma[c]! + bn.beta[c]!;
      const got = Array.from(folded.weight.slice(c * 3, c * 3 + 3)).reduce((s, wi, i) => s + wi * x[i]!, folded.bias[c]!);
      expect(got).toBeCloseTo(expected, 5);
    }
  });

  it('fold_bn turns ConvBnReLU2d into ConvReLU2d with folded parameters', async () => {
    const conv = new nn.Conv2d(1, 2, 1);
    const bn = new nn.BatchNorm2d(2);
    bn.running_mean.assign([0.5, -0.5]);
    bn.running_var.assign([4, 0.25]);
    const fused = new ConvBnReLU2d(conv, bn, new nn.ReLU());
    const folded = (await fused.fold_bn()) as FusedConv2d;
    expect(folded._typeName).toBe('ConvReLU2d');
    expect(folded.bn).toBeUndefined();
    const [w0, w1] = await conv.weight.toArray();
    const [b0, b1] = await conv.bias!.toArray();
    const fw = await folded.conv.weight.toArray();
    const fb = await folded.conv.bias!.toArray();
    const s0 = 1 / Math.sqrt(4 + 1e-5);
    const s1 = 1 / Math.sqrt(0.25 + 1e-5);
    expect(fw[0]).toBeCloseTo(w0! * s0, 6);
    expect(fw[1]).toBeCloseTo(w1! * s1, 6);
    expect(fb[0]).toBeCloseTo((b0! - 0.5) * s0, 6);
    expect(fb[1]).toBeCloseTo((b1! + 0.5) * s1, 6);
  });
});
