import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../dsl/evaluate';
import { findExample } from '../../dsl/examples/index';
import { prepareStageModel } from '../../dsl/stage';
import { writePytorchScript } from './script';
import { floatStateDictKeys, weightsFile } from './weights';

const TRAIN = { epochs: 1, batchSize: 64, lr: 0.001, momentum: 0.9, weightDecay: 4e-5, optimizer: 'sgd' as const };

async function script(id: string) {
  const r = evaluate(findExample(id)!.files);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  const qat = prepareStageModel(r.program, 'qat');
  const text = await writePytorchScript({
    floatModel: r.program.createModel(),
    qatModel: qat,
    weightsFile: `${id}_weights.json`,
    train: TRAIN,
    calibrationBatches: 100,
    normalization: { mean: 0.286, std: 0.353 },
  });
  return { text, qat, program: r.program };
}

/** Python's own parser: the script is valid Python 3 (torch is not needed to parse it). */
function pythonParses(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'qat-script-'));
  const file = join(dir, 'model_qat.py');
  writeFileSync(file, text);
  return execFileSync('python3', ['-c', 'import ast, sys; ast.parse(open(sys.argv[1]).read()); print("ok")', file], { encoding: 'utf8' }).trim();
}

describe('PyTorch script', () => {
  it('reference CNN: the model class, fusion groups, per-layer qconfigs, DDP training; valid Python', async () => {
    const { text } = await script('reference_cnn');
    expect(pythonParses(text)).toBe('ok');
    expect(text).toContain('class Net(nn.Module):');
    expect(text).toContain('self.conv1 = nn.Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, bias=True)');
    expect(text).toContain('self.bn2 = nn.BatchNorm2d(32, eps=0.00001, momentum=0.1, affine=True)');
    expect(text).toContain('self.classifier = nn.Linear(1568, 10, bias=True)');
    expect(text).toMatch(/def forward\(self, x\):\n\s+quant = self\.quant\(x\)\n\s+conv1 = self\.conv1\(quant\)\n\s+bn1 = self\.bn1\(conv1\)/);
    expect(text).toContain('flatten = torch.flatten(pool2, 1)');
    expect(text).toContain('return dequant');
    expect(text).toContain('FUSION_GROUPS = [["conv1","bn1","relu1"],["conv2","bn2","relu2"]]');
    // int8 activations per tensor, int8 weights per channel (the default templates), int32 classifier output.
    expect(text).toMatch(/activation=FakeQuantize\.with_args\(observer=\w+Observer.*dtype=torch\.qint8, qscheme=torch\.per_tensor_symmetric, quant_min=-128, quant_max=127\)/);
    expect(text).toMatch(/weight=FakeQuantize\.with_args\(observer=\w*PerChannel\w*Observer.*qscheme=torch\.per_channel_symmetric, quant_min=-128, quant_max=127, ch_axis=0\)/);
    expect(text).toMatch(/"classifier": qconfig_\d+/);
    expect(text).toContain('PlaceholderObserver.with_args(dtype=torch.float32),  # high-precision (int32) output');
    for (const piece of ['dist.init_process_group(', 'DistributedDataParallel(', 'DistributedSampler(', 'train_sampler.set_epoch(epoch)', '"LOCAL_RANK" in os.environ', 'prepare_qat(model)', 'fuse_modules_qat(model, FUSION_GROUPS)', 'torch.optim.SGD(', 'default=0.001']) {
      expect(text).toContain(piece);
    }
  });

  it('residual and nested modules: containers, generated adds as FloatFunctional, the add keeps its own qconfig', async () => {
    const { text } = await script('residual');
    expect(pythonParses(text)).toBe('ok');
    expect(text).toContain('self.block1 = nn.Module()');
    expect(text).toContain('self.block1.conv1 = nn.Conv2d(16, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=1, bias=False)');
    expect(text).toContain('self._generated_add_0 = FloatFunctional()');
    expect(text).toMatch(/_generated_add_0 = self\._generated_add_0\.add\(block1_bn2, pool1\)/);
    expect(text).toContain('["block1.conv2","block1.bn2"]');
    expect(text).toMatch(/"block1\.conv2": qconfig_\d+/);
    expect(text).toMatch(/"_generated_add_0": qconfig_\d+/);
  });

  it('add_net and int16: fixed scales as FixedQParamsFakeQuantize, qint16 as qint32 with the int16 range', async () => {
    const { text } = await script('add_net');
    expect(pythonParses(text)).toBe('ok');
    expect(text).toMatch(/FixedQParamsFakeQuantize\.with_args\(observer=FixedQParamsObserver\.with_args\(scale=0\.03125, zero_point=0, dtype=torch\.qint32, qscheme=torch\.per_tensor_symmetric, quant_min=-32768, quant_max=32767\)\)/);
    expect(text).toContain('scale=0.0625');
    const int16 = await script('int16');
    expect(pythonParses(int16.text)).toBe('ok');
    expect(int16.text).toMatch(/weight=FakeQuantize\.with_args\(.*quant_min=-32768, quant_max=32767, ch_axis=0\),  # qint16/);
  });

  it('weights: the float model\'s keys with the QAT model\'s values, base64 float32', async () => {
    const { qat, program } = await script('reference_cnn');
    const keys = [...floatStateDictKeys(qat).keys()].sort();
    expect(keys).toEqual([...program.createModel().state_dict().keys()].sort());
    const file = await weightsFile(floatStateDictKeys(qat));
    const conv1 = file.tensors['conv1.weight'];
    expect(conv1.shape).toEqual([16, 1, 3, 3]);
    const bytes = Uint8Array.from(atob(conv1.data), (c) => c.charCodeAt(0));
    const values = new Float32Array(bytes.buffer);
    const expected = await qat.state_dict().get('conv1.conv.weight')!.read();
    expect(Array.from(values)).toEqual(Array.from(expected));
    expect(file.tensors['bn1.running_var'].shape).toEqual([16]);
  });
});
