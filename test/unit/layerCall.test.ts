// Hovers on tf.layers.* calls: the call under the cursor is found in real source text, its literal
// arguments read, and the shape arithmetic it shows agrees with what tfjs itself computes for the
// same layer (checked against the real library's computeOutputShape, not against a copy).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeLayerCall, LAYER_DOCS } from '../../src/editor/layerDocs';
import { callArithmetic, findLayerCall, parseObjectLiteral } from '../../src/protocol/layerCall';
import { explainBuildError } from '../../src/trainer/explainBuildError';
import { windowOutput } from '../../src/protocol/layerMath';
import { formatSampleShape as formatShape } from '../../src/protocol/format';

const SOURCE = `import * as tf from '@tensorflow/tfjs';
export function createModel() {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({
    filters: 16,            // a comment (with a paren)
    kernelSize: [3, 5],
    strides: 2,
    padding: 'same',
    kernelInitializer: tf.initializers.heNormal({ seed: 1 }),
  }));
  model.add(tf.layers.flatten());
  return model;
}`;

describe('findLayerCall', () => {
  it('finds the call whose name or arguments hold the cursor, with its literal arguments', () => {
    const first = findLayerCall(SOURCE, SOURCE.indexOf('conv2d'));
    expect(first?.factory).toBe('conv2d');
    expect(first?.args).toEqual({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' });
    const inside = findLayerCall(SOURCE, SOURCE.indexOf("padding: 'same'"));
    expect(inside?.factory).toBe('conv2d');
    expect(inside?.args).toMatchObject({ filters: 16, kernelSize: [3, 5], strides: 2, padding: 'same' });
    expect(inside?.args.kernelInitializer).toEqual({ raw: 'tf.initializers.heNormal({ seed: 1 })' });
    expect(findLayerCall(SOURCE, SOURCE.indexOf('tf.sequential'))).toBeUndefined();
    expect(findLayerCall(SOURCE, SOURCE.indexOf('flatten'))?.args).toEqual({});
  });

  it('reads shorthand keys, quoted keys, booleans, null and numbers with exponents', () => {
    expect(parseObjectLiteral("{ units, 'rate': 2e-1, returnSequences: true, x: null, y: -3 }")).toEqual({ units: { raw: 'units' }, rate: 0.2, returnSequences: true, x: null, y: -3 });
    expect(parseObjectLiteral('{ units: n * 2, name: `a` }')).toEqual({ units: { raw: 'n * 2' }, name: 'a' });
    expect(parseObjectLiteral('someConfig')).toEqual({});
  });
});

/** What tfjs itself says the output is, for the same layer config and input. */
function tfjsOutput(factory: string, config: Record<string, unknown>, inputNoBatch: number[]): (number | null)[] {
  const make = (tf.layers as unknown as Record<string, (c: unknown) => tf.layers.Layer>)[factory];
  const shape = make(config).computeOutputShape([null, ...inputNoBatch]) as (number | null)[];
  return shape.slice(1);
}

describe('callArithmetic agrees with tfjs', () => {
  const cases: [string, Record<string, number | string | number[]>, number[]][] = [
    ['conv2d', { filters: 8, kernelSize: 5 }, [28, 28, 1]],
    ['conv2d', { filters: 4, kernelSize: [3, 5], strides: 2, padding: 'same' }, [13, 17, 3]],
    ['conv2d', { filters: 4, kernelSize: 3, strides: [2, 3] }, [15, 16, 2]],
    ['conv2d', { filters: 2, kernelSize: 3, dilationRate: 2 }, [12, 12, 1]],
    ['conv1d', { filters: 6, kernelSize: 4, strides: 2 }, [50, 8]],
    ['maxPooling2d', { poolSize: 2 }, [24, 24, 8]],
    ['maxPooling2d', { poolSize: 3, strides: 2 }, [25, 25, 4]],
    ['averagePooling2d', { poolSize: [2, 3], padding: 'same' }, [7, 7, 3]],
    ['maxPooling1d', { poolSize: 2 }, [9, 5]],
    ['conv2dTranspose', { filters: 3, kernelSize: 3, strides: 2 }, [7, 7, 8]],
    ['conv2dTranspose', { filters: 3, kernelSize: 4, strides: 2, padding: 'same' }, [7, 7, 8]],
    ['depthwiseConv2d', { kernelSize: 3, depthMultiplier: 2 }, [10, 10, 4]],
    ['dense', { units: 10 }, [256]],
    ['flatten', {}, [4, 4, 16]],
    ['lstm', { units: 12 }, [50, 8]],
    ['lstm', { units: 12, returnSequences: true } as unknown as Record<string, number>, [50, 8]],
  ];
  for (const [factory, config, input] of cases) {
    it(`${factory}(${JSON.stringify(config)}) on ${formatShape(input)}`, () => {
      const r = callArithmetic({ factory, args: config, start: 0, end: 0 }, input);
      expect(r.output).toEqual(tfjsOutput(factory, config, input));
    });
  }

  it('a kernel larger than its feature map is named with the sizes, as tfjs refuses it', () => {
    const config = { filters: 8, kernelSize: 15 };
    const r = callArithmetic({ factory: 'conv2d', args: config, start: 0, end: 0 }, [12, 12, 8]);
    expect(r.tooSmall).toEqual({ axis: 0, window: 15, input: 12 });
    expect(r.steps[0].result.formula).toBe('12 − 15 + 1 = −2');
    const model = tf.sequential();
    model.add(tf.layers.inputLayer({ inputShape: [12, 12, 8] }));
    expect(() => model.add(tf.layers.conv2d(config))).toThrow(/Negative dimension/);
  });

  it('writes out strided and dilated windows', () => {
    expect(windowOutput(13, { size: 3, stride: 2, dilation: 1, padding: 'valid' }).formula).toBe('⌈(13 − 3 + 1) / 2⌉ = 6');
    expect(windowOutput(12, { size: 3, stride: 1, dilation: 2, padding: 'valid' }).formula).toBe('12 − 5 (3 dilated by 2) + 1 = 8');
    expect(windowOutput(13, { size: 3, stride: 2, dilation: 1, padding: 'same' }).formula).toBe('⌈13 / 2⌉ = 7');
  });
});

describe('describeLayerCall', () => {
  it('explains the call under the cursor with this model’s shapes, in English and Chinese', () => {
    const call = findLayerCall(SOURCE, SOURCE.indexOf("padding: 'same'"))!;
    const en = describeLayerCall(call, [12, 12, 8], 'en')!;
    expect(en).toContain('**tf.layers.conv2d** — A 2-D convolution');
    expect(en).toContain("- `padding` = `'same'`");
    expect(en).toContain('- input: `[batch, 12, 12, 8]` (from the layer before)');
    expect(en).toContain('- height: ⌈12 / 2⌉ = 6');
    expect(en).toContain('- output: `[batch, 6, 6, 16]`');
    const zh = describeLayerCall(call, [12, 12, 8], 'zh-cn')!;
    expect(zh).toContain('二维卷积');
    expect(zh).toContain('- 输出: `[batch, 6, 6, 16]`');
  });

  it('uses inputShape from the call itself and says when no shape is known', () => {
    const first = findLayerCall(SOURCE, SOURCE.indexOf('conv2d'))!;
    expect(describeLayerCall(first, undefined)).toContain('- output: `[batch, 24, 24, 8]`');
    const pool = findLayerCall(SOURCE, SOURCE.indexOf('maxPooling2d'))!;
    expect(describeLayerCall(pool, undefined)).toContain('The input shape is not known yet');
  });

  it('warns on the line where the window does not fit', () => {
    const text = 'model.add(tf.layers.conv2d({ filters: 8, kernelSize: 15 }));';
    const md = describeLayerCall(findLayerCall(text, 25)!, [12, 12, 8])!;
    expect(md).toContain('**The window (15) is larger than the height of its input (12)**');
  });

  it('every documented layer is a real tfjs factory and has both languages', () => {
    for (const [name, doc] of Object.entries(LAYER_DOCS)) {
      expect(typeof (tf.layers as unknown as Record<string, unknown>)[name], name).toBe('function');
      expect(doc.en.what.length).toBeGreaterThan(10);
      expect(doc['zh-cn'].what).toMatch(/[\u4e00-\u9fff]/);
      expect(doc['zh-cn'].args.map((a) => a[0])).toEqual(doc.en.args.map((a) => a[0]));
    }
  });
});

describe('explainBuildError (errors that teach)', () => {
  const source = [
    "import * as tf from '@tensorflow/tfjs';",
    'export function createModel() {',
    '  const model = tf.sequential();',
    "  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));",
    '  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));',
    '  model.add(tf.layers.conv2d({ filters: 8, kernelSize: 15 }));',
    '  return model;',
    '}',
  ].join('\n');
  /** The message tfjs itself throws for the same model. */
  function realMessage(build: () => void): string {
    try {
      build();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('tfjs accepted the model');
  }

  it('turns tfjs’s negative-dimension error into the kernel, the map and the arithmetic at the user’s line', () => {
    const raw = realMessage(() => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, activation: 'relu' }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      m.add(tf.layers.conv2d({ filters: 8, kernelSize: 15 }));
    });
    expect(raw).toMatch(/Negative dimension size/);
    expect(explainBuildError(raw, source, 6)).toBe(
      "conv2d on line 6: the kernel (15) is larger than the 12×12 feature map that line 5 makes (input [batch, 12, 12, 8]: 12 − 15 + 1 = −2). Use kernelSize ≤ 12, padding: 'same', or downsample less before it.",
    );
  });

  it('names a pool window that outgrows its map', () => {
    const src = "const m = tf.sequential();\nm.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 5 }));\nm.add(tf.layers.maxPooling2d({ poolSize: 4, strides: 1 }));";
    const raw = realMessage(() => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 5 }));
      m.add(tf.layers.maxPooling2d({ poolSize: 4, strides: 1 }));
    });
    expect(explainBuildError(raw, src, 3)).toMatch(/^maxPooling2d on line 3: the pool window \(4\) is larger than the 2×2 feature map that line 2 makes \(input \[batch, 2, 2, 2\]: 2 − 4 \+ 1 = −1\)\. Use poolSize ≤ 2/);
  });

  it('leaves other errors to tfjs’s own words', () => {
    expect(explainBuildError('Input 0 is incompatible with layer dense_Dense1', source, 6)).toBeUndefined();
    expect(explainBuildError('Negative dimension size caused by adding layer x with input shape [,12,12,8]', source, 2)).toBeUndefined();
  });
});
