/**
 * The reference CNN example for the QAT profiling scripts: its evaluated program, a synthetic batch, and a
 * training step (forward, cross-entropy, backward, SGD) as one function. Load it after the WebGPU
 * environment is set (the scripts import it dynamically).
 */
import { Tensor, tidy } from '../../src/engine/tensor';
import { backward } from '../../src/engine/autograd';
import { cross_entropy_with_stats } from '../../src/engine/functional';
import { evaluate as evaluateSources, findExample } from '../../src/dsl/index';
import type { SGD } from '../../src/optim/sgd';
import type { Module } from '../../src/nn/module';

export function referenceExample(batch: number) {
  const example = findExample('reference_cnn')!;
  const evaluated = evaluateSources(example.files);
  if (!evaluated.ok) throw new Error(JSON.stringify(evaluated.diagnostics));
  const images = Tensor.fromArray(Float32Array.from({ length: batch * 784 }, (_, i) => Math.sin(i * 0.01) * 1.5), [batch, 1, 28, 28]);
  const labels = Tensor.fromArray(Int32Array.from({ length: batch }, (_, i) => i % 10), [batch], 'int32');

  /** One training step of `model` on the batch; `extra` sees the loss before backward. */
  function trainStep(model: Module, optimizer: SGD, extra?: (loss: Tensor) => void): () => void {
    return () =>
      tidy(() => {
        const { loss } = cross_entropy_with_stats(model(images) as Tensor, labels);
        extra?.(loss);
        backward(loss);
        optimizer.step();
        optimizer.zero_grad();
      });
  }
  return { program: evaluated.program, images, labels, trainStep };
}
