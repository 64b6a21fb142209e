/**
 * A PyTorch script (text) that rebuilds the playground's model and qconfig in torch.ao.quantization
 * (eager mode, as the Horizon quick start), loads the trained weights, calibrates, and trains with QAT —
 * with torch.distributed (DDP) when launched by torchrun:
 *
 *   python model_qat.py --weights model_weights.json              # one process (CPU or one GPU)
 *   torchrun --nproc_per_node=4 model_qat.py --weights model_weights.json
 *
 * What maps how:
 * - The model class: the float model's module tree (names, so state_dict keys, unchanged; containers are
 *   plain nn.Module namespaces) and a forward written from the traced graph; generated ops (`a + b`)
 *   are FloatFunctional modules, as eager mode needs.
 * - Fusion: the playground's fusion records as `fuse_modules_qat` groups (conv/bn/relu, linear/relu);
 *   an add inside a fusion stays a FloatFunctional (PyTorch's eager fusion has no conv-add).
 * - QConfig: each quantized op's fake quantizers as FakeQuantize.with_args(observer=..., dtype, qscheme,
 *   quant_min, quant_max, ch_axis, averaging_constant); qint16 as torch.qint32 with the int16 range
 *   (fake quant only), FixedScaleObserver as FixedQParamsFakeQuantize, LearnableFakeQuantize as
 *   _LearnableFakeQuantize; Horizon's MSE/Percentile observers (no torch.ao equivalent) as
 *   MovingAverageMinMaxObserver; a high-precision (int32) output as a PlaceholderObserver (float).
 */
import { GraphModule } from '../../graph/graph_module';
import { Node, isContainer, type Argument } from '../../graph/node';
import { symbolic_trace } from '../../graph/tracer';
import type { Module } from '../../nn/module';
import * as nn from '../../nn/index';
import { FusedConv2d, FusedLinear } from '../../nn/fused';
import { FakeQuantizeBase } from '../../quant/fake_quantize';
import { LearnableFakeQuantize } from '../../quant/fake_quantize_learnable';
import { FixedScaleObserver } from '../../quant/observer_fixed';
import { isQatModule } from '../../quant/qat_modules';
import type { TrainSettings } from '../../pipeline/types';

export interface PytorchScriptOptions {
  /** The float model (a fresh instance of the user's class; traced here, unfused). */
  floatModel: Module;
  /** The prepared QAT model: its fake quantizers give the qconfig of each op. */
  qatModel: GraphModule;
  /** The script's own file name (for its usage text). */
  scriptFile?: string;
  /** File name of the weights JSON the script loads by default. */
  weightsFile: string;
  /** Embed the weights JSON in the script instead (one self-contained file). */
  embeddedWeights?: string;
  /** QAT training settings (the qconfig.ts QAT stage, with the page's defaults). */
  train: Pick<TrainSettings, 'epochs' | 'batchSize' | 'lr' | 'momentum' | 'weightDecay' | 'optimizer'> & Partial<TrainSettings>;
  calibrationBatches: number;
  normalization: { mean: number; std: number };
  /** Class names (Fashion-MNIST's by default). */
  classes?: readonly string[];
}

const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield self'.split(' '),
);

function ident(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
  return PY_KEYWORDS.has(clean) ? `${clean}_` : clean;
}

function pyNumber(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (!Number.isFinite(v)) return v > 0 ? 'float("inf")' : 'float("-inf")';
  return Number.isInteger(v) ? String(v) : String(v);
}

function pyFloat(v: number): string {
  const s = pyNumber(v);
  return /^-?\d+$/.test(s) ? `${s}.0` : s;
}

function pyString(s: string): string {
  return JSON.stringify(s);
}

function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `(${values[0]},)` : `(${values.join(', ')})`;
}

/** `self.a.b` / `getattr(self.layers, "0")` for a dotted module path. */
function modulePath(path: string): string {
  let expr = 'self';
  for (const part of path.split('.')) expr = /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) && !PY_KEYWORDS.has(part) ? `${expr}.${part}` : `getattr(${expr}, ${pyString(part)})`;
  return expr;
}

/** The constructor of a leaf module, in torch.nn terms. */
function moduleConstructor(m: Module, path: string): string {
  if (m instanceof nn.QuantStub) return 'QuantStub()';
  if (m instanceof nn.DeQuantStub) return 'DeQuantStub()';
  if (m instanceof nn.Conv2d) {
    return `nn.Conv2d(${m.in_channels}, ${m.out_channels}, kernel_size=${pyTuple(m.kernel_size)}, stride=${pyTuple(m.stride)}, padding=${pyTuple(m.padding)}, dilation=${pyTuple(m.dilation)}, groups=${m.groups}, bias=${m.bias ? 'True' : 'False'})`;
  }
  if (m instanceof nn.Linear) return `nn.Linear(${m.in_features}, ${m.out_features}, bias=${m.bias ? 'True' : 'False'})`;
  if (m instanceof nn.BatchNorm2d) return `nn.BatchNorm2d(${m.num_features}, eps=${pyFloat(m.eps)}, momentum=${pyFloat(m.momentum)}, affine=${m.affine ? 'True' : 'False'})`;
  if (m instanceof nn.LayerNorm) return `nn.LayerNorm(${pyTuple(m.normalized_shape)}, eps=${pyFloat(m.eps)}, elementwise_affine=${m.weight ? 'True' : 'False'})`;
  if (m instanceof nn.ReLU6) return 'nn.ReLU6()';
  if (m instanceof nn.ReLU) return 'nn.ReLU()';
  if (m instanceof nn.MaxPool2d) return `nn.MaxPool2d(${pyTuple(m.kernel_size)}, stride=${pyTuple(m.stride)}, padding=${pyTuple(m.padding)})`;
  if (m instanceof nn.AvgPool2d) return `nn.AvgPool2d(${pyTuple(m.kernel_size)}, stride=${pyTuple(m.stride)}, padding=${pyTuple(m.padding)})`;
  if (m instanceof nn.AdaptiveAvgPool2d) return `nn.AdaptiveAvgPool2d(${pyTuple(m.output_size)})`;
  if (m instanceof nn.Flatten) return `nn.Flatten(${m.start_dim}, ${m.end_dim})`;
  if (m instanceof nn.Dropout) return `nn.Dropout(p=${pyFloat(m.p)})`;
  if (m instanceof nn.Softmax) return `nn.Softmax(dim=${m.dim})`;
  if (m instanceof nn.Identity) return 'nn.Identity()';
  if (m instanceof nn.FloatFunctional) return 'FloatFunctional()';
  throw new Error(`PyTorch script: ${path} (${m._typeName}) has no torch.nn counterpart here`);
}

function isLeaf(m: Module): boolean {
  return [...m.named_children()].length === 0 || m instanceof FusedConv2d || m instanceof FusedLinear;
}

/** Python for a traced argument. */
function pyArg(a: Argument, vars: Map<Node, string>): string {
  if (a instanceof Node) {
    const v = vars.get(a);
    if (!v) throw new Error(`PyTorch script: ${a.name} is used before it is defined`);
    return v;
  }
  if (a === null || a === undefined) return 'None';
  if (typeof a === 'boolean') return a ? 'True' : 'False';
  if (typeof a === 'number') return pyNumber(a);
  if (typeof a === 'string') return pyString(a);
  if (Array.isArray(a)) return `[${a.map((x) => pyArg(x as Argument, vars)).join(', ')}]`;
  if (isContainer(a)) return `{${Object.entries(a).map(([k, v]) => `${pyString(k)}: ${pyArg(v as Argument, vars)}`).join(', ')}}`;
  throw new Error('PyTorch script: a functional op takes a tensor constant (a parameter), which is not exported; use a module');
}

/** Positional args, with a trailing options object as keyword arguments (F.max_pool2d(x, 2, {stride: 2})). */
function pyCallArgs(args: readonly Argument[], vars: Map<Node, string>, optionsLast: boolean): string {
  const list = [...args];
  let kwargs: string[] = [];
  const last = list[list.length - 1];
  if (optionsLast && isContainer(last) && !Array.isArray(last)) {
    list.pop();
    kwargs = Object.entries(last as Record<string, Argument>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${ident(k)}=${pyArg(v, vars)}`);
  }
  return [...list.map((a) => pyArg(a, vars)), ...kwargs].join(', ');
}

const FUNCTION_NAMES: Record<string, string> = {
  'torch.flatten': 'torch.flatten',
  'torch.reshape': 'torch.reshape',
  'torch.permute': 'torch.permute',
  'torch.relu': 'torch.relu',
  'F.relu': 'F.relu',
  'F.relu6': 'F.relu6',
  'F.max_pool2d': 'F.max_pool2d',
  'F.avg_pool2d': 'F.avg_pool2d',
  'F.adaptive_avg_pool2d': 'F.adaptive_avg_pool2d',
  'F.dropout': 'F.dropout',
  'F.softmax': 'F.softmax',
};

function forwardBody(gm: GraphModule): { params: string[]; lines: string[] } {
  const vars = new Map<Node, string>();
  const used = new Set<string>(['self']);
  const name = (n: Node) => {
    let v = ident(n.name);
    for (let i = 1; used.has(v); i++) v = `${ident(n.name)}_${i}`;
    used.add(v);
    vars.set(n, v);
    return v;
  };
  const params: string[] = [];
  const lines: string[] = [];
  for (const node of gm.graph.nodes) {
    switch (node.op) {
      case 'placeholder':
        params.push(name(node));
        break;
      case 'call_module': {
        const call = node.method === 'forward' ? modulePath(node.target) : `${modulePath(node.target)}.${node.method}`;
        lines.push(`${name(node)} = ${call}(${pyCallArgs(node.args, vars, false)})`);
        break;
      }
      case 'call_function': {
        if (node.target === 'getitem') {
          lines.push(`${name(node)} = ${pyArg(node.args[0], vars)}[${pyArg(node.args[1], vars)}]`);
          break;
        }
        const fn = FUNCTION_NAMES[node.target];
        if (!fn) throw new Error(`PyTorch script: ${node.target} (node ${node.name}) is not exported`);
        lines.push(`${name(node)} = ${fn}(${pyCallArgs(node.args, vars, true)})`);
        break;
      }
      case 'call_method': {
        const [self, ...rest] = node.args;
        lines.push(`${name(node)} = ${pyArg(self, vars)}.${node.target}(${pyCallArgs(rest, vars, false)})`);
        break;
      }
      case 'output':
        lines.push(`return ${pyArg(node.args[0], vars).replace(/^\[(.*)\]$/, '($1)')}`);
        break;
    }
  }
  return { params, lines };
}

/** The qconfig expression of one fake quantizer (or null when the module has none). */
async function fakeQuantExpr(fq: Module | null | undefined, role: 'activation' | 'weight'): Promise<string | null> {
  if (!(fq instanceof FakeQuantizeBase)) return null;
  const obs = fq.activation_post_process;
  const [qmin, qmax] = [fq.quant_min, fq.quant_max];
  const dtype = fq.dtype === 'quint8' ? 'torch.quint8' : fq.dtype === 'qint8' ? 'torch.qint8' : 'torch.qint32';
  const note = fq.dtype === 'qint16' ? '  # qint16: torch.ao fake-quantizes it as qint32 with the int16 range' : '';
  const qscheme = `torch.${fq.qscheme}`;
  const common = `dtype=${dtype}, qscheme=${qscheme}, quant_min=${qmin}, quant_max=${qmax}${fq.is_per_channel ? `, ch_axis=${fq.ch_axis}` : ''}`;
  if (obs instanceof FixedScaleObserver) {
    const [scale, zp] = await Promise.all([obs.scale.read(), obs.zero_point.read()]);
    return `FixedQParamsFakeQuantize.with_args(observer=FixedQParamsObserver.with_args(scale=${pyFloat(scale[0])}, zero_point=${zp[0]}, dtype=${dtype}, qscheme=${qscheme}, quant_min=${qmin}, quant_max=${qmax}))${note}`;
  }
  const type = obs._typeName;
  const perChannel = fq.is_per_channel;
  const averaging = (obs as { averaging_constant?: number | null }).averaging_constant;
  let observer: string;
  let args = '';
  switch (type) {
    case 'MinMaxObserver':
    case 'PerChannelMinMaxObserver':
      observer = type;
      break;
    case 'MovingAverageMinMaxObserver':
    case 'MovingAveragePerChannelMinMaxObserver':
      observer = type;
      if (typeof averaging === 'number') args = `, averaging_constant=${pyFloat(averaging)}`;
      break;
    case 'HistogramObserver':
      observer = perChannel ? 'MovingAveragePerChannelMinMaxObserver' : 'HistogramObserver';
      break;
    default:
      // Horizon's MSEObserver / PercentileObserver have no torch.ao equivalent.
      observer = perChannel ? 'MovingAveragePerChannelMinMaxObserver' : 'MovingAverageMinMaxObserver';
      args = `, averaging_constant=${pyFloat(typeof averaging === 'number' ? averaging : 0.01)}`;
      break;
  }
  if (fq instanceof LearnableFakeQuantize) {
    const channels = perChannel ? `, channel_len=${(fq as unknown as { scale: { numel: number } }).scale.numel}` : '';
    return `_LearnableFakeQuantize.with_args(observer=${observer}${args}, ${common}${channels}, use_grad_scaling=${fq.use_grad_scaling ? 'True' : 'False'})${note}`;
  }
  void role;
  return `FakeQuantize.with_args(observer=${observer}${args}, ${common})${note}${type !== observer ? `  # the playground used ${type}` : ''}`;
}

interface QconfigAssignment {
  path: string;
  activation: string;
  weight: string | null;
}

async function qconfigAssignments(qat: GraphModule, fusionGroups: Map<string, string[]>): Promise<QconfigAssignment[]> {
  const out: QconfigAssignment[] = [];
  const fused = new Map(qat.fusions.map((f) => [f.name, f]));
  for (const [path, m] of qat.named_modules()) {
    if (!path || !isQatModule(m)) continue;
    const activation = (await fakeQuantExpr(m.activation_post_process, 'activation')) ?? 'PlaceholderObserver.with_args(dtype=torch.float32)  # high-precision (int32) output: not fake-quantized';
    const weight = await fakeQuantExpr(m.weight_fake_quant, 'weight');
    const record = fused.get(path);
    if (record) {
      // The eager fusion lives at its first module; an add inside it stays its own FloatFunctional.
      const group = fusionGroups.get(record.members[0]);
      out.push({ path: record.members[0], activation, weight });
      const add = record.members.find((n) => n.startsWith('_generated_add_') || (group && !group.includes(n) && qat.get_submodule(n) instanceof nn.FloatFunctional));
      if (add) out.push({ path: add, activation, weight: null });
    } else {
      out.push({ path, activation, weight });
    }
  }
  return out;
}

/** Eager fuse_modules_qat groups from the playground's fusions (module members only, without adds). */
function fusionGroupsOf(qat: GraphModule, float: GraphModule): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const isModule = (name: string) => {
    try {
      const m = float.get_submodule(name);
      return !(m instanceof nn.FloatFunctional);
    } catch {
      return false;
    }
  };
  for (const f of qat.fusions) {
    // PyTorch's eager fusion takes conv-bn-relu, conv-bn, conv-relu, linear-relu; an add breaks the chain.
    const chain: string[] = [];
    for (const m of f.members) {
      if (!isModule(m)) break;
      chain.push(m);
    }
    if (chain.length > 1) groups.set(chain[0], chain);
  }
  return groups;
}

/** `prefix + code + suffix  # comment` for an expression that may end in a comment. */
function withComment(prefix: string, expr: string, suffix: string): string {
  const at = expr.indexOf('  # ');
  return at < 0 ? `${prefix}${expr}${suffix}` : `${prefix}${expr.slice(0, at)}${suffix}${expr.slice(at)}`;
}

function section(title: string): string {
  return `\n# ${'-'.repeat(96)}\n# ${title}\n# ${'-'.repeat(96)}\n`;
}

export async function writePytorchScript(o: PytorchScriptOptions): Promise<string> {
  const float = symbolic_trace(o.floatModel);
  const className = ident(float.original_name || 'Net');
  const init: string[] = [];
  const assign = (path: string, ctor: string) => {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? 'self' : modulePath(path.slice(0, dot));
    const name = path.slice(dot + 1);
    init.push(/^[A-Za-z_]\w*$/.test(name) && !PY_KEYWORDS.has(name) ? `${parent}.${name} = ${ctor}` : `${parent}.add_module(${pyString(name)}, ${ctor})`);
  };
  const emitModule = (path: string, m: Module) => {
    if (path && isLeaf(m)) {
      assign(path, moduleConstructor(m, path));
      return;
    }
    if (path) assign(path, 'nn.Module()');
    for (const [name, child] of m.named_children()) emitModule(path ? `${path}.${name}` : name, child);
  };
  emitModule('', o.floatModel);
  for (const [name, m] of float.named_children()) {
    if (m instanceof nn.FloatFunctional && name.startsWith('_generated_')) init.push(`self.${name} = FloatFunctional()  # the traced ${name.replace(/^_generated_|_\d+$/g, '')} op`);
  }
  const { params, lines } = forwardBody(float);
  const groups = fusionGroupsOf(o.qatModel, float);
  const assignments = await qconfigAssignments(o.qatModel, groups);
  const qconfigExprs = new Map<string, string>();
  const qconfigLines: string[] = [];
  for (const a of assignments) {
    const key = `${a.activation}|${a.weight}`;
    if (!qconfigExprs.has(key)) {
      const v = `qconfig_${qconfigExprs.size}`;
      qconfigExprs.set(key, v);
      qconfigLines.push(`${v} = QConfig(`, withComment('    activation=', a.activation, ','), withComment('    weight=', a.weight ?? 'torch.nn.Identity  # no weight', ','), ')');
    }
  }
  const t = o.train;
  const script = o.scriptFile ?? 'model_qat.py';
  const classes = o.classes ?? ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
  const indent = (text: string[], n: number) => text.map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');
  const stepSize = t.stepSize ?? Math.max(1, Math.ceil(t.epochs / 3));
  const py = `#!/usr/bin/env python3
"""${className}: quantization-aware training in PyTorch (torch.ao.quantization, eager mode).

Written by the QAT Playground from model.ts and qconfig.ts: the same layers (state_dict keys unchanged),
the same fusions and the same per-layer fake quantizers, starting from the weights trained in the page.

    python ${script} --weights ${o.weightsFile}                       # one process
    torchrun --nproc_per_node=4 ${script} --weights ${o.weightsFile}  # DistributedDataParallel

Steps: load the float weights, fuse, prepare_qat with the playground's qconfig per layer, calibrate
(observers only, ${o.calibrationBatches} batches), QAT (${t.epochs} epoch(s), ${t.optimizer.toUpperCase()} lr ${t.lr}), evaluate, save a checkpoint.
Notes: PyTorch has no int16 dtype or int32 high-precision output in torch.ao; qint16 is fake-quantized as
qint32 with the int16 range, and a high-precision output is left in float (PlaceholderObserver), so
torch.ao.quantization.convert cannot lower those layers - use the playground's compile for deployment.
A setup(model) hook in qconfig.ts (freezing a backbone) is not translated: add it after build_qat_model.
"""
import argparse
import base64
import json
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.ao.nn.quantized import FloatFunctional
from torch.ao.quantization import (
    DeQuantStub,
    FakeQuantize,
    FixedQParamsFakeQuantize,
    QConfig,
    QuantStub,
    fuse_modules_qat,
    prepare_qat,
)
from torch.ao.quantization._learnable_fake_quantize import _LearnableFakeQuantize
from torch.ao.quantization.fake_quantize import FakeQuantizeBase
from torch.ao.quantization.observer import (
    FixedQParamsObserver,
    HistogramObserver,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    PerChannelMinMaxObserver,
    PlaceholderObserver,
)
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

CLASSES = ${JSON.stringify(classes)}
MEAN, STD = ${pyFloat(o.normalization.mean)}, ${pyFloat(o.normalization.std)}
EMBEDDED_WEIGHTS = ${o.embeddedWeights ? pyString(o.embeddedWeights) : 'None'}
${section('The model (from model.ts)')}

class ${className}(nn.Module):
    def __init__(self):
        super().__init__()
${indent(init, 8)}

    def forward(self, ${params.join(', ')}):
${indent(lines, 8)}

${section('Fusion and qconfig (from the prepared model of the QAT stage)')}
# fuse_modules_qat groups (the playground's ${o.qatModel.fusions.map((f) => `${f.name}=${f.type}`).join(', ') || 'no fusions'}).
FUSION_GROUPS = ${JSON.stringify([...groups.values()])}

${qconfigLines.join('\n')}

# Module path -> qconfig (after fusion the fused module lives at its first member's path).
QCONFIGS = {
${assignments.map((a) => `    ${pyString(a.path)}: ${qconfigExprs.get(`${a.activation}|${a.weight}`)},`).join('\n')}
}


def build_qat_model(weights):
    model = ${className}()
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise RuntimeError(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")
    model.train()
    if FUSION_GROUPS:
        model = fuse_modules_qat(model, FUSION_GROUPS)
    model.qconfig = None
    for path, qconfig in QCONFIGS.items():
        model.get_submodule(path).qconfig = qconfig
    return prepare_qat(model)
${section('Weights (qat-playground/state-dict JSON: base64 little-endian arrays)')}

def load_weights(path):
    data = json.loads(EMBEDDED_WEIGHTS) if EMBEDDED_WEIGHTS else json.load(open(path))
    if data.get("format") != "qat-playground/state-dict":
        raise ValueError(f"{path}: not a qat-playground weights file")
    dtypes = {"float32": torch.float32, "int32": torch.int32}
    state = {}
    for key, t in data["tensors"].items():
        raw = bytearray(base64.b64decode(t["data"]))
        state[key] = torch.frombuffer(raw, dtype=dtypes[t["dtype"]]).reshape(t["shape"]).clone()
    return state
${section('Data, calibration, training (torchrun → DistributedDataParallel)')}

def datasets(root):
    import torchvision
    from torchvision import transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    train = torchvision.datasets.FashionMNIST(root, train=True, download=True, transform=tf)
    test = torchvision.datasets.FashionMNIST(root, train=False, download=True, transform=tf)
    return train, test


def set_fake_quant(model, observe, fake_quant):
    for m in model.modules():
        if isinstance(m, FakeQuantizeBase):
            m.enable_observer() if observe else m.disable_observer()
            m.enable_fake_quant() if fake_quant else m.disable_fake_quant()


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
            total += y.numel()
    if dist.is_initialized():
        t = torch.tensor([correct, total], device=device)
        dist.all_reduce(t)
        correct, total = t.tolist()
    return correct / max(total, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=${pyString(o.weightsFile)})
    parser.add_argument("--data", default="./data")
    parser.add_argument("--epochs", type=int, default=${t.epochs})
    parser.add_argument("--batch-size", type=int, default=${t.batchSize}, help="per process")
    parser.add_argument("--lr", type=float, default=${pyFloat(t.lr)})
    parser.add_argument("--momentum", type=float, default=${pyFloat(t.momentum)})
    parser.add_argument("--weight-decay", type=float, default=${pyFloat(t.weightDecay)})
    parser.add_argument("--calib-batches", type=int, default=${o.calibrationBatches})
    parser.add_argument("--out", default="qat_checkpoint.pt")
    args = parser.parse_args()

    distributed = "LOCAL_RANK" in os.environ
    if distributed:
        local_rank = int(os.environ["LOCAL_RANK"])
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
        device = torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    else:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rank = dist.get_rank() if distributed else 0

    model = build_qat_model(load_weights(args.weights)).to(device)
    train_set, test_set = datasets(args.data)
    train_sampler = DistributedSampler(train_set, shuffle=True) if distributed else None
    test_sampler = DistributedSampler(test_set, shuffle=False) if distributed else None
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=train_sampler is None, sampler=train_sampler, num_workers=2)
    test_loader = DataLoader(test_set, batch_size=256, sampler=test_sampler, num_workers=2)

    # Calibration (FakeQuantState.CALIBRATION): observers record, outputs stay float; BN statistics frozen.
    model.eval()
    set_fake_quant(model, observe=True, fake_quant=False)
    for m in model.modules():
        if isinstance(m, FakeQuantizeBase):
            m.train()
    with torch.no_grad():
        for i, (x, _) in enumerate(train_loader):
            if i >= args.calib_batches:
                break
            model(x.to(device))
    set_fake_quant(model, observe=False, fake_quant=True)
    if rank == 0:
        print(f"calibration: fake-quant accuracy {evaluate(model, test_loader, device):.4f}")

    # QAT (FakeQuantState.QAT): observers and fake quantization on, in train mode.
    model.train()
    set_fake_quant(model, observe=True, fake_quant=True)
    net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) if distributed else model
    optimizer = ${t.optimizer === 'sgd' ? 'torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)' : `torch.optim.${t.optimizer === 'adamw' ? 'AdamW' : 'Adam'}(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)`}
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=${stepSize}, gamma=${pyFloat(t.gamma ?? 0.1)})
    for epoch in range(args.epochs):
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        net.train()
        for step, (x, y) in enumerate(train_loader):
            loss = F.cross_entropy(net(x.to(device)), y.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if rank == 0 and step % 100 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
        scheduler.step()

    # Validation (FakeQuantState.VALIDATION): frozen scales, fake quantization on.
    model.eval()
    set_fake_quant(model, observe=False, fake_quant=True)
    accuracy = evaluate(model, test_loader, device)
    if rank == 0:
        print(f"QAT: fake-quant accuracy {accuracy:.4f}")
        torch.save(model.state_dict(), args.out)
        print(f"saved {args.out}")
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
  return py;
}
