import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTENTION_VARIANTS } from '@attnzoo/attention';
import { archiveEntries, readAnki } from '@attnzoo/datasets/node';
import { ANKI, testData } from '@attnzoo/fixtures';
import { savePreset } from '@attnzoo/hub/node';
import { selectBackend } from '@attnzoo/runtime';
import { type SentencePieceTokenizer, trainSentencePiece } from '@attnzoo/tokenizer/node';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CausalLM } from './node';

const ARCH = {
  maxLength: 16,
  width: 32,
  numHeads: 2,
  feedForwardWidth: 64,
  numLayers: 1,
  dropout: 0,
  seed: 3,
};

let tokenizer: SentencePieceTokenizer;
let spanish: string[];

beforeAll(async () => {
  await selectBackend(tf, { backend: 'cpu', log: () => {} });
  // The Spanish side of the first Anki pairs (short sentences: the file is sorted by length).
  spanish = (await readAnki(await archiveEntries(testData.file(ANKI)), { limit: 400 })).target;
  const dir = await mkdtemp(join(tmpdir(), 'attnzoo-lm-spm-'));
  tokenizer = (
    await trainSentencePiece({
      inputTexts: spanish,
      vocabSize: 200,
      modelPrefix: join(dir, 'es'),
      characterCoverage: 1,
    })
  ).tokenizer;
});

describe('CausalLM', () => {
  it.each(
    ATTENTION_VARIANTS,
  )('%s: no position reads a later one (logits before t ignore the tokens from t on)', async (variant) => {
    const lm = CausalLM.create(tokenizer, { ...ARCH, variant });
    // Random weights everywhere, Super's mixing matrix included (it starts as the identity).
    lm.model.setWeights(lm.model.getWeights().map((w) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 7)));
    const a = [tokenizer.bosId, 10, 11, 12, 13, 14];
    const b = [tokenizer.bosId, 10, 11, 40, 41, 42];
    const logits = (ids: number[]) =>
      tf.tidy(() => lm.model.predict(tf.tensor2d([ids], [1, ids.length], 'int32')) as tf.Tensor);
    const [la, lb] = [logits(a), logits(b)];
    const head = (t: tf.Tensor) => tf.slice(t, [0, 0, 0], [1, 3, -1]);
    expect(tf.max(tf.abs(tf.sub(head(la), head(lb)))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(la, lb))).dataSync()[0]).toBeGreaterThan(1e-3);
    lm.dispose();
  });

  it('learns Spanish sentences (perplexity falls), continues a prompt, and round-trips through a preset', async () => {
    const lm = CausalLM.create(tokenizer, { ...ARCH, variant: 'super' });
    const train = spanish.slice(0, 320);
    const test = spanish.slice(320);
    const before = await lm.evaluate(test);
    const result = await lm.fit({ train, epochs: 6, batchSize: 32, lr: 3e-3 });
    expect(result.epochs).toBe(6);
    const after = await lm.evaluate(test);
    expect(after.count).toBe(test.length);
    expect(after.perplexity).toBeLessThan(before.perplexity / 2);
    const [continued] = await lm.predict(['Tom'], { maxNewTokens: 5 });
    expect(typeof continued).toBe('string');
    const dir = join(await mkdtemp(join(tmpdir(), 'attnzoo-lm-')), 'lm-es-super');
    await savePreset(lm, dir, { name: 'lm-es-super', task: 'text-generation' });
    const loaded = await CausalLM.fromPretrained(dir);
    expect((await loaded.evaluate(test)).loss).toBeCloseTo(after.loss, 2); // float16 weights
    expect(loaded.config).toEqual(lm.config);
    loaded.dispose();
    lm.dispose();
  });
});
