import { checkTokenizerIds, type ModelTokenizer } from '@attnzoo/tokenizer';
import type { CausalLMConfig } from './backbone';

/** What the model needs from a tokenizer (SentencePieceTokenizer from @attnzoo/tokenizer is one). */
export type CausalLMTokenizer = ModelTokenizer;

/** Texts as next-token pairs: inputs BOS + tokens, labels tokens + EOS, both right-padded. */
export interface EncodedTexts {
  count: number;
  length: number;
  inputs: Int32Array;
  labels: Int32Array;
}

/**
 * The language model's preprocessor: SentencePiece ids with BOS in front (inputs) and EOS at the
 * end (labels), cut to the model's length, and text back from generated ids. Checks that the
 * tokenizer is the one the model was built for.
 */
export class CausalLMPreprocessor {
  constructor(
    readonly tokenizer: CausalLMTokenizer,
    readonly config: CausalLMConfig,
  ) {
    checkTokenizerIds(tokenizer, config);
  }

  /** A prompt's ids: BOS + tokens, the last maxLength - 1 of them when longer. */
  encodePrompt(text: string): number[] {
    const ids = this.tokenizer.encode(text);
    return [this.config.bosId, ...ids.slice(-(this.config.maxLength - 1))];
  }

  /** Training pairs for every text (longer ones are cut: the model learns their start). */
  encode(texts: readonly string[]): EncodedTexts {
    const L = this.config.maxLength;
    const { padId, bosId, eosId } = this.config;
    const inputs = new Int32Array(texts.length * L).fill(padId);
    const labels = new Int32Array(texts.length * L).fill(padId);
    texts.forEach((text, r) => {
      const ids = this.tokenizer.encode(text).slice(0, L);
      const x = [bosId, ...ids].slice(0, L);
      const y = [...ids, eosId].slice(0, L);
      inputs.set(x, r * L);
      labels.set(y, r * L);
    });
    return { count: texts.length, length: L, inputs, labels };
  }

  decode(ids: ArrayLike<number>): string {
    return this.tokenizer.decode(ids);
  }
}
