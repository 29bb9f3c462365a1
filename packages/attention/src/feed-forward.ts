import { layers } from '@tensorflow/tfjs-layers';
import { Dropout } from './dropout';
import { geluActivation } from './fused/gelu';
import { initializerByName } from './initializer';
import type { SymbolicOrTensor } from './symbolic';

export interface FeedForwardConfig {
  width: number;
  hiddenWidth: number;
  activation?: 'gelu' | 'relu';
  dropout?: number;
  name: string;
  seed?: number;
}

/** The position-wise feed-forward network of a Transformer block: dense → activation → dense → dropout. */
export class FeedForward {
  private readonly inner: ReturnType<typeof layers.dense>;
  private readonly outer: ReturnType<typeof layers.dense>;
  private readonly drop: Dropout;

  constructor(config: FeedForwardConfig) {
    const seed = config.seed;
    this.inner = layers.dense({
      units: config.hiddenWidth,
      activation: config.activation ?? 'gelu',
      name: `${config.name}_inner`,
      kernelInitializer: initializerByName('glorotUniform', seed),
    });
    this.outer = layers.dense({
      units: config.width,
      name: `${config.name}_outer`,
      kernelInitializer: initializerByName('glorotUniform', seed == null ? undefined : seed + 1),
    });
    this.drop = new Dropout({ rate: config.dropout ?? 0, name: `${config.name}_dropout`, seed });
    // GELU in one WebGPU dispatch (and one backward) instead of about twelve; still 'gelu' in configs.
    const gelu = (config.activation ?? 'gelu') === 'gelu' ? geluActivation() : undefined;
    if (gelu) (this.inner as unknown as { activation: unknown }).activation = gelu;
  }

  apply<T extends SymbolicOrTensor>(x: T): T {
    return this.drop.apply(this.outer.apply(this.inner.apply(x))) as T;
  }
}
