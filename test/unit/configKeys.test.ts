import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CONFIG_KEYS, loadModelContract, validateContractConfig } from '../../src/trainer/modelContract';
import { silenceTfjsNodeBanner } from '../../src/trainer/runTraining';

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-config-keys-'));
  await tf.setBackend('cpu');
  silenceTfjsNodeBanner(tf);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function modelFile(name: string, config: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `import * as tf from '@tensorflow/tfjs';\nexport const config = ${config};\n` +
      `export const createModel = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: (config as any).units ?? 3 })] });\n`,
  );
  return file;
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a failure');
}

describe('unknown config keys', () => {
  test('a misspelt key in a model file fails the load, naming the file and the nearest known key', async () => {
    const file = modelFile('typo.model.ts', "{ epochz: 3, dataset: 'iris' }");
    expect(await failure(loadModelContract(tf, file))).toBe(
      `typo.model.ts: unknown config key "epochz" — did you mean "epochs"? (the config keys: ${CONFIG_KEYS.join(', ')})`,
    );
  });

  test.each([
    ['batch_size', 'batchSize'],
    ['BatchSize', 'batchSize'],
    ['validation_split', 'validationSplit'],
    ['learning_rate', 'learningRate'],
    ['metric', 'metrics'],
    ['classnames', 'classNames'],
    ['callback', 'callbacks'],
    ['checkpoints', 'checkpoint'],
  ])('"%s" → did you mean "%s"?', (key, near) => {
    expect(() => validateContractConfig({ [key]: 1 }, '/w/m.model.ts')).toThrow(`m.model.ts: unknown config key "${key}" — did you mean "${near}"?`);
  });

  test("a model file's own values pass, and so does a near key next to the one it resembles", async () => {
    const file = modelFile('own.model.ts', "{ epochs: 1, units: 5, hiddenLayers: [16, 8], dataset: 'iris' }");
    const c = await loadModelContract(tf, file);
    expect(c.config).toEqual({ epochs: 1, units: 5, hiddenLayers: [16, 8], dataset: 'iris' });
    const model = await c.createModel();
    expect(model.outputs[0].shape).toEqual([null, 5]);
    model.dispose();
    // `epoch` beside `epochs` is not standing in for it
    expect(validateContractConfig({ epochs: 2, epoch: 'mine' }, '/w/m.model.ts')).toEqual({ epochs: 2, epoch: 'mine' });
  });
});
