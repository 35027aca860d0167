// The two CNNs the fused benches time in-process: the reference CNN (MNIST-shaped) and the
// CIFAR-shaped CNN (3 conv layers, 32x32x3), compiled as a learner would (Adam 1e-3, categorical
// cross-entropy). Shared by fusedThreadsCpu.ts and fusedRelaxed.ts so both time the same layers.
import * as tf from '@tensorflow/tfjs';

export function benchModels(): Record<string, () => tf.LayersModel> {
  const compile = (m: tf.Sequential) => {
    m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  return {
    referenceCnn: () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 128, activation: 'relu' }));
      m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
      return compile(m);
    },
    cifarCnn: () => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 32, kernelSize: 3, activation: 'relu' }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
      m.add(tf.layers.flatten());
      m.add(tf.layers.dense({ units: 64, activation: 'relu' }));
      m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
      return compile(m);
    },
  };
}
