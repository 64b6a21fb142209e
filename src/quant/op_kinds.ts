/**
 * What each graph node is to quantization:
 * - quant_stub: float enters the quantized model (gets an output fake quantizer);
 * - dequant_stub: back to float;
 * - weighted: conv/linear and their fusions (weight and output fake quantizers);
 * - observed: ops with their own output scale (add, mul, cat, matmul, LayerNorm, BatchNorm, average pools, softmax);
 * - passthrough: ops that keep their input's scale and dtype (ReLU, max pool, flatten, reshape, dropout);
 * - shape: values that are not tensors (x.size(), getitem);
 * - unsupported: what the quantized model cannot run, with the reason and what to write instead.
 */
import type { Module } from '../nn/module';
import * as nn from '../nn/index';
import { FusedConv2d, FusedLinear } from '../nn/fused';
import type { Node } from '../graph/node';
import type { GraphModule } from '../graph/graph_module';

export type OpKind = 'quant_stub' | 'dequant_stub' | 'weighted' | 'observed' | 'passthrough' | 'shape' | 'unsupported' | 'io';

export interface OpInfo {
  kind: OpKind;
  /** The op type as the check table shows it (Conv2d, ConvBnReLU2d, FloatFunctional.add, torch.flatten). */
  type: string;
  /** Why an op is unsupported and what to do. */
  reason?: string;
}

const PASSTHROUGH_FUNCTIONS = new Set(['torch.flatten', 'torch.reshape', 'torch.permute', 'torch.relu', 'F.relu', 'F.relu6', 'F.max_pool2d', 'F.dropout']);
const PASSTHROUGH_METHODS = new Set(['flatten', 'view', 'reshape', 'permute', 'relu', 'contiguous']);

const UNSUPPORTED_FUNCTIONS: Record<string, string> = {
  'F.conv2d': 'a functional conv has no weight fake quantizer: use nn.Conv2d',
  'F.linear': 'a functional linear has no weight fake quantizer: use nn.Linear',
  'F.layer_norm': 'a functional op has no output observer: use nn.LayerNorm',
  'F.softmax': 'a functional op has no output observer: use nn.Softmax',
  'F.avg_pool2d': 'average pooling needs its own output scale: use nn.AvgPool2d',
  'F.adaptive_avg_pool2d': 'average pooling needs its own output scale: use nn.AdaptiveAvgPool2d',
};

export function moduleKind(module: Module, method = 'forward'): OpInfo {
  if (module instanceof nn.QuantStub) return { kind: 'quant_stub', type: 'QuantStub' };
  if (module instanceof nn.DeQuantStub) return { kind: 'dequant_stub', type: 'DeQuantStub' };
  if (module instanceof FusedConv2d || module instanceof FusedLinear || module instanceof nn.Conv2d || module instanceof nn.Linear) {
    return { kind: 'weighted', type: module._typeName };
  }
  if (module instanceof nn.FloatFunctional) return { kind: 'observed', type: `FloatFunctional.${method}` };
  if (
    module instanceof nn.LayerNorm ||
    module instanceof nn.BatchNorm2d ||
    module instanceof nn.AvgPool2d ||
    module instanceof nn.AdaptiveAvgPool2d ||
    module instanceof nn.Softmax
  ) {
    return { kind: 'observed', type: module._typeName };
  }
  if (
    module instanceof nn.ReLU ||
    module instanceof nn.ReLU6 ||
    module instanceof nn.MaxPool2d ||
    module instanceof nn.Flatten ||
    module instanceof nn.Dropout ||
    module instanceof nn.Identity
  ) {
    return { kind: 'passthrough', type: module._typeName };
  }
  return { kind: 'unsupported', type: module._typeName, reason: `${module._typeName} has no quantized version` };
}

export function classifyNode(gm: GraphModule, node: Node): OpInfo {
  switch (node.op) {
    case 'placeholder':
    case 'output':
      return { kind: 'io', type: node.op };
    case 'call_module':
      return moduleKind(gm.get_submodule(node.target), node.method);
    case 'call_function':
      if (PASSTHROUGH_FUNCTIONS.has(node.target)) return { kind: 'passthrough', type: node.target };
      if (node.target === 'getitem') return { kind: 'shape', type: 'getitem' };
      return {
        kind: 'unsupported',
        type: node.target,
        reason: UNSUPPORTED_FUNCTIONS[node.target] ?? `${node.target} has no quantized version`,
      };
    case 'call_method':
      if (PASSTHROUGH_METHODS.has(node.target)) return { kind: 'passthrough', type: `Tensor.${node.target}` };
      if (node.target === 'size') return { kind: 'shape', type: 'Tensor.size' };
      return { kind: 'unsupported', type: `Tensor.${node.target}`, reason: `Tensor.${node.target} has no quantized version` };
  }
}

/** Whether an op takes a qconfig of its own. */
export function takesQConfig(kind: OpKind): boolean {
  return kind === 'quant_stub' || kind === 'weighted' || kind === 'observed';
}
