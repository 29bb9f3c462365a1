import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { save } from '@attnzoo/hub/node';
import * as tf from '@tensorflow/tfjs-core';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEAD_LAYER, ImageClassifier, type ImageClassifierConfig, saveClassifier } from './node';
import { tinyBackbone, useTestBackend } from './testing/setup';

const dir = mkdtempSync(join(tmpdir(), 'vit-classifier-'));
beforeAll(useTestBackend);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config: ImageClassifierConfig = {
  backbone: tinyBackbone('super'),
  preprocessor: { imageSize: 28, channels: 1 },
  numClasses: 10,
  classNames: ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'],
};

function digitPng(): Uint8Array {
  const data = new Uint8Array(28 * 28);
  for (let y = 6; y < 22; y++) data[y * 28 + 14] = 255; // a "1"
  return encode({ width: 28, height: 28, data, channels: 1 });
}

describe('ImageClassifier', () => {
  it('predicts labels and probabilities for a PNG written here, an RGB PNG of another size and a tensor', async () => {
    const classifier = ImageClassifier.create(config);
    const rgb = encode({ width: 56, height: 56, data: new Uint8Array(56 * 56 * 3).fill(200), channels: 3 });
    const tensor = tf.zeros([28, 28, 1]) as tf.Tensor3D;
    const out = await classifier.predict([digitPng(), rgb, tensor], { topK: 2 });
    tensor.dispose();
    expect(out).toHaveLength(3);
    for (const p of out) {
      expect(config.classNames).toContain(p.label);
      expect(p.probabilities).toHaveLength(10);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(p.probability).toBe(Math.max(...p.probabilities));
      expect(p.top).toHaveLength(2);
      expect(p.label).toBe(config.classNames![p.index]);
      expect(p.warning).toBeUndefined();
    }
    classifier.dispose();
  });

  it('warns when an image is far smaller than the model or far from square', async () => {
    const classifier = ImageClassifier.create(config);
    const grey = (w: number, h: number) =>
      encode({ width: w, height: h, data: new Uint8Array(w * h).fill(90), channels: 1 });
    const [tiny, wide, fine] = await classifier.predict([grey(1, 1), grey(50, 40), grey(30, 28)]);
    expect(tiny.warning).toMatch(/1×1, far smaller than the model's 28×28: it was enlarged/);
    expect(wide.warning).toMatch(/50×40, not square: it was squeezed to the model's 28×28/);
    expect(fine.warning).toBeUndefined();
    classifier.dispose();
  });

  it('save → fromPretrained gives the same predictions (float32 exactly, float16 closely)', async () => {
    const classifier = ImageClassifier.create(config);
    const png = digitPng();
    const [before] = await classifier.predict(png);
    await saveClassifier(classifier, join(dir, 'f32'), { name: 'tiny-f32' }, { float16: false });
    await saveClassifier(classifier, join(dir, 'f16'), { name: 'tiny-f16' });
    classifier.dispose();
    const f32 = await ImageClassifier.fromPretrained(join(dir, 'f32'));
    const f16 = await ImageClassifier.fromPretrained(join(dir, 'f16'));
    expect(f32.config).toEqual(config);
    expect(f32.classNames).toEqual(config.classNames);
    const [a] = await f32.predict(png);
    const [b] = await f16.predict(png);
    for (const [i, p] of a.probabilities.entries()) expect(p).toBeCloseTo(before.probabilities[i], 5);
    for (const [i, p] of b.probabilities.entries()) expect(p).toBeCloseTo(before.probabilities[i], 2);
    f32.dispose();
    f16.dispose();
  });

  it('replaces the head for a new number of classes, keeping the backbone weights', async () => {
    const classifier = ImageClassifier.create(config);
    const three = classifier.withNewHead(3, ['a', 'b', 'c']);
    expect(three.model.outputs[0].shape).toEqual([null, 3]);
    expect(three.config.numClasses).toBe(3);
    const backboneWeights = (m: ImageClassifier) =>
      m.model.weights.filter((w) => !w.originalName.startsWith(HEAD_LAYER));
    const [w0, w1] = [backboneWeights(classifier), backboneWeights(three)];
    expect(w1.map((w) => w.originalName)).toEqual(w0.map((w) => w.originalName));
    const [x, y] = await Promise.all([w0[0].read().data(), w1[0].read().data()]);
    expect([...y]).toEqual([...x]);
    const [p] = await three.predict(digitPng());
    expect(['a', 'b', 'c']).toContain(p.label);
    // the new head saves and loads like any classifier
    await saveClassifier(three, join(dir, 'three'), { name: 'tiny-three' });
    const loaded = await ImageClassifier.fromPretrained(join(dir, 'three'));
    expect(loaded.classNames).toEqual(['a', 'b', 'c']);
    loaded.dispose();
    three.dispose();
  });

  it('clear errors: a preset of another task, a data set of another size, a tensor of the wrong shape', async () => {
    const input = (await import('@tensorflow/tfjs-layers')).input({ shape: [4] });
    const layers = (await import('@tensorflow/tfjs-layers')).layers;
    const model = (await import('@tensorflow/tfjs-layers')).model({
      inputs: input,
      outputs: layers.dense({ units: 2 }).apply(input) as never,
    });
    await save(
      model,
      join(dir, 'text'),
      { name: 'text-thing' },
      {
        config: { task: { className: 'attnzoo.text-classifier.TextClassifier', config: {} } },
      },
    );
    model.dispose();
    await expect(ImageClassifier.fromPretrained(join(dir, 'text'))).rejects.toThrow(
      /is a preset for attnzoo\.text-classifier\.TextClassifier, not an image classifier/,
    );
    const classifier = ImageClassifier.create(config);
    const cifarLike = {
      kind: 'images' as const,
      images: new Uint8Array(2 * 32 * 32 * 3),
      labels: new Uint8Array(2),
      count: 2,
      height: 32,
      width: 32,
      channels: 3,
    };
    await expect(classifier.evaluate(cifarLike)).rejects.toThrow(
      /32×32×3 images but the model takes 28×28×1/,
    );
    // Texts given to an image classifier: said as such, not as a class-count mismatch.
    const texts = {
      kind: 'text',
      texts: ['a', 'b'],
      labels: Int32Array.from([0, 1]),
      classNames: ['x', 'y'],
    };
    await expect(classifier.evaluate(texts as never)).rejects.toThrow(
      /takes images .* got text data: use a TextClassifier/,
    );
    const wrong = tf.zeros([2, 32, 32, 3]) as tf.Tensor4D;
    await expect(classifier.predict(wrong)).rejects.toThrow(/\[2,32,32,3\] does not fit this model/);
    wrong.dispose();
    expect(() => classifier.withNewHead(1)).toThrow(/numClasses must be an integer >= 2/);
    classifier.dispose();
  });
});
