import { describe, expect, it } from 'vitest';
import * as nn from './index';
import { setModuleCallHook } from './module';

class RefCNN extends nn.Module {
  quant = new nn.QuantStub();
  conv1 = new nn.Conv2d(1, 16, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(16);
  relu1 = new nn.ReLU();
  pool1 = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(16, 32, 3, { padding: 1 });
  bn2 = new nn.BatchNorm2d(32);
  relu2 = new nn.ReLU();
  pool2 = new nn.MaxPool2d(2);
  flatten = new nn.Flatten();
  fc = new nn.Linear(1568, 10);
  dequant = new nn.DeQuantStub();
}

describe('nn.Module', () => {
  it('finds children and parameters in assignment order, with PyTorch names and shapes', () => {
    const m = new RefCNN();
    expect([...m.named_children()].map(([n]) => n)).toEqual([
      'quant', 'conv1', 'bn1', 'relu1', 'pool1', 'conv2', 'bn2', 'relu2', 'pool2', 'flatten', 'fc', 'dequant',
    ]);
    const params = Object.fromEntries([...m.named_parameters()].map(([n, p]) => [n, p.shape]));
    expect(params).toEqual({
      'conv1.weight': [16, 1, 3, 3], 'conv1.bias': [16], 'bn1.weight': [16], 'bn1.bias': [16],
      'conv2.weight': [32, 16, 3, 3], 'conv2.bias': [32], 'bn2.weight': [32], 'bn2.bias': [32],
      'fc.weight': [10, 1568], 'fc.bias': [10],
    });
    expect([...m.state_dict().keys()]).toContain('bn2.running_var');
    const count = m.parameters().reduce((s, p) => s + p.numel, 0);
    expect(count).toBe(16 * 9 + 16 + 32 + 32 * 16 * 9 + 32 + 64 + 15680 + 10);
    m.dispose();
  });

  it('is callable, and every call goes through the module call hook', () => {
    const seen: string[] = [];
    const m = new nn.Sequential(new nn.Identity(), new nn.Identity());
    const previous = setModuleCallHook((mod, method, _args, run) => {
      seen.push(`${mod._typeName}.${method}`);
      return run();
    });
    try {
      expect(m(42)).toBe(42);
    } finally {
      setModuleCallHook(previous);
    }
    expect(seen).toEqual(['Sequential.forward', 'Identity.forward', 'Identity.forward']);
  });

  it('train() and eval() reach every submodule; get_submodule follows dotted paths', () => {
    const m = new nn.Sequential(new nn.Sequential(new nn.Dropout(0.1)));
    m.eval();
    expect(m.get_submodule('0.0').training).toBe(false);
    m.train();
    expect(m.get_submodule('0.0').training).toBe(true);
    expect(() => m.get_submodule('0.1')).toThrow(/no submodule '1'/);
  });

  it('initialises Conv2d and Linear like PyTorch (bounds 1/sqrt(fan_in))', async () => {
    nn.manual_seed(1);
    const conv = new nn.Conv2d(16, 32, 3);
    const bound = 1 / Math.sqrt(16 * 9);
    const w = await conv.weight.toArray();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(bound * 0.9);
    conv.dispose();
  });

  it('load_state_dict checks names and shapes', () => {
    const a = new nn.Linear(3, 2);
    expect(() => a.load_state_dict({ weight: [1, 2, 3, 4, 5, 6] })).toThrow(/missing keys: bias/);
    expect(() => a.load_state_dict({ weight: [1, 2, 3], bias: [0, 0] })).toThrow(/'weight' has 3 values, the model has \[2, 3\]/);
    a.load_state_dict({ weight: [1, 2, 3, 4, 5, 6], bias: [7, 8] });
    a.dispose();
  });

  it('dispose() also calls the dispose() of submodules that hold more than their state_dict', () => {
    const freed: string[] = [];
    class Holder extends nn.Module {
      override dispose(): void {
        freed.push('holder');
        super.dispose();
      }
    }
    class Outer extends nn.Module {
      inner = new nn.Sequential(new Holder());
      fc = new nn.Linear(2, 2);
    }
    const m = new Outer();
    m.dispose();
    expect(freed).toEqual(['holder']);
    expect(m.fc.weight.isDisposed).toBe(true);
  });
});
