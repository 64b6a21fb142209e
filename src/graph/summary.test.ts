import { expect, it } from 'vitest';
import { loadSources } from '../dsl/evaluate';
import { prepareStageModel } from '../dsl/stage';
import { findExample } from '../dsl/examples/index';
import { graphSummary } from './summary';

it('graphSummary gives plain data per node: inputs, types, fused members, dtypes and source lines', () => {
  const example = findExample('residual')!;
  const loaded = loadSources(example.files);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  const prepared = prepareStageModel(loaded.program, 'qat');
  const nodes = graphSummary(prepared, prepared.check_result);
  const add = nodes.find((n) => n.name === '_generated_add_0')!;
  expect(add).toMatchObject({
    op: 'call_module',
    type: 'ConvBnAddReLU2d',
    inputs: ['block1_conv1', 'pool1'],
    dtype: 'qint8',
    fused_from: ['block1.conv2', 'block1.bn2', '_generated_add_0', 'block1.relu'],
    loc: { file: 'model.ts', line: example.files['model.ts'].split('\n').findIndex((l) => l.includes('+ x')) + 1 },
  });
  expect(nodes.find((n) => n.name === 'classifier')!.dtype).toBe('qint32');
  expect(JSON.parse(JSON.stringify(nodes))).toEqual(nodes);
});
