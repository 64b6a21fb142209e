/**
 * The same network trained by TensorFlow.js's WebGPU backend (tfjs-layers model, NHWC), batch 64, SGD
 * with momentum 0.9, one optimizer.minimize per step with no readback, synchronised at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { BATCH } from './reference_cnn_data';
import type { BenchCase } from './types';

function referenceCnn(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same' }),
      tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tfl.layers.reLU(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same' }),
      tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      tfl.layers.reLU(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 10 }),
    ],
  });
}

export const trainTfjsCase: BenchCase = {
  id: 'train_tfjs',
  async run(ctx) {
    if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js: the webgpu backend did not initialise');
    await tf.ready();
    const model = referenceCnn();
    const optimizer = tf.train.momentum(0.05, 0.9);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const x = tf.randomNormal([BATCH, 28, 28, 1]);
    const y = tf.cast(tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32') as tf.Tensor1D, 10), 'float32');
    const step = () =>
      tf.tidy(() => {
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, false, vars);
      });
    const sync = async () => {
      await vars[0]!.data();
    };
    const warmup = 2;
    for (let i = 0; i < warmup; i++) step();
    await sync();
    ctx.log('tfjs: warmed up');
    const steps = 6;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    await sync();
    const seconds = (performance.now() - t0) / 1000;
    ctx.log(`tfjs: ${steps} steps in ${seconds.toFixed(1)} s`);
    x.dispose();
    y.dispose();
    model.dispose();
    return [
      {
        id: 'train_tfjs',
        label: 'float training, reference CNN — TensorFlow.js WebGPU',
        value: (steps * BATCH) / seconds,
        unit: 'images/s',
        note: `tfjs ${tf.version_core}, batch ${BATCH}, momentum 0.9, ${steps} steps after ${warmup} warm-up`,
      },
    ];
  },
};
