import { ATTENTION_VARIANTS } from '@attnzoo/attention';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ViTBackbone } from './backbone';
import { sequenceLength } from './config';
import { useTestBackend } from './testing/setup';

beforeAll(useTestBackend);

describe('ViTBackbone', () => {
  for (const variant of ATTENTION_VARIANTS) {
    for (const pooling of ['class', 'mean'] as const) {
      it(`${variant} attention, ${pooling} pooling: [batch, width] features`, async () => {
        const backbone = new ViTBackbone({
          imageSize: 8,
          channels: 3,
          patchSize: 4,
          width: 8,
          depth: 2,
          numHeads: 2,
          feedForwardWidth: 16,
          variant,
          pooling,
          seed: 1,
        });
        expect(backbone.sequenceLength).toBe(pooling === 'class' ? 5 : 4);
        const model = backbone.toModel();
        const x = tf.randomUniform([3, 8, 8, 3]);
        const y = model.predict(x) as tf.Tensor;
        expect(y.shape).toEqual([3, 8]);
        expect((await y.data()).every(Number.isFinite)).toBe(true);
        const tokens = backbone.tokens(x);
        expect(tokens.shape).toEqual([3, backbone.sequenceLength, 8]);
        if (variant === 'super') {
          const wa = model.weights.filter((w) => /mixing|wa/i.test(w.originalName));
          expect(wa.length).toBe(2); // one Wa per block
          expect(wa[0].shape).toEqual([backbone.sequenceLength, backbone.sequenceLength]);
        }
        tf.dispose([x, y, tokens]);
        model.dispose();
      });
    }
  }

  it('rejects configs that cannot work, saying what to change', () => {
    const base = {
      imageSize: 28,
      channels: 1,
      patchSize: 7,
      width: 16,
      depth: 1,
      numHeads: 2,
      feedForwardWidth: 32,
      variant: 'sdpa',
      pooling: 'class',
    } as const;
    expect(() => new ViTBackbone({ ...base, patchSize: 5 })).toThrow(/not a multiple of patchSize 5/);
    expect(() => new ViTBackbone({ ...base, numHeads: 3 })).toThrow(/not divisible by numHeads 3/);
    expect(() => new ViTBackbone({ ...base, channels: 2 })).toThrow(/channels must be 1 \(grey\) or 3/);
    expect(() => new ViTBackbone({ ...base, variant: 'linear' as never })).toThrow(
      /Unknown attention variant/,
    );
    expect(sequenceLength({ imageSize: 32, patchSize: 4, pooling: 'class' })).toBe(65);
  });
});
