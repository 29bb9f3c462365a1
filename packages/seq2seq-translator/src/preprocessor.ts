import { checkTokenizerIds, type ModelTokenizer } from '@attnzoo/tokenizer';
import type { TranslatorConfig } from './config';
import { type EncodedPairs, encodePairs, type ParallelCorpus } from './data';

/** What the translator needs from a tokenizer (SentencePieceTokenizer from @attnzoo/tokenizer is one). */
export type TranslatorTokenizer = ModelTokenizer;

/**
 * The translator's preprocessor: SentencePiece ids for source sentences (+ EOS, cut to the
 * encoder's length), teacher-forcing pairs for training, and text back from output ids. Checks
 * that the tokenizer is the one the model was built for.
 */
export class TranslatorPreprocessor {
  constructor(
    readonly tokenizer: TranslatorTokenizer,
    readonly config: TranslatorConfig,
  ) {
    checkTokenizerIds(tokenizer, config);
  }

  /** Source ids for one sentence: tokens + EOS, cut to sourceMaxLength. */
  encodeSource(text: string, onLong: 'truncate' | 'error' = 'truncate') {
    if (typeof text !== 'string')
      throw new Error(`translate expects strings, got ${text === null ? 'null' : typeof text}.`);
    const ids = this.tokenizer.encode(text);
    const unknownTokens = ids.filter((id) => id === this.config.unkId).length;
    const room = this.config.sourceMaxLength - 1;
    const truncated = ids.length > room;
    if (truncated && onLong === 'error') {
      throw new Error(
        `Input has ${ids.length} tokens but the encoder takes at most ${room} (+ end of sentence): shorten it or use onLongInput: 'truncate'.`,
      );
    }
    return {
      ids: [...ids.slice(0, room), this.config.eosId],
      truncated,
      unknownTokens,
      empty: ids.length === 0,
    };
  }

  /** Pairs encoded for training at the model's lengths; `dropLong` leaves out pairs that do not fit. */
  encodePairs(corpus: ParallelCorpus, dropLong: boolean): EncodedPairs {
    const c = this.config;
    return encodePairs(
      corpus.source.map((s) => this.tokenizer.encode(s)),
      corpus.target.map((s) => this.tokenizer.encode(s)),
      { padId: c.padId, bosId: c.bosId, eosId: c.eosId },
      { sourceLength: c.sourceMaxLength, targetLength: c.targetMaxLength },
      { dropLong },
    );
  }

  /** Text of output ids (EOS and padding already cut off). */
  decode(ids: ArrayLike<number>): string {
    return this.tokenizer.decode(ids);
  }
}
