/**
 * What a model built on token ids needs from its tokenizer (`SentencePieceTokenizer` is one):
 * the vocabulary size and special ids it was built for, encode and decode, and the bytes that
 * a preset ships as tokenizer.model.
 */
export interface ModelTokenizer {
  readonly vocabularySize: number;
  readonly padId: number;
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
  readonly bytes?: Uint8Array;
}

/** The ids a model records in its config: the ones of the tokenizer it is built for. */
export interface TokenizerIds {
  vocabularySize: number;
  padId: number;
  unkId: number;
  bosId: number;
  eosId: number;
}

export function tokenizerIds(t: ModelTokenizer): TokenizerIds {
  return { vocabularySize: t.vocabularySize, padId: t.padId, unkId: t.unkId, bosId: t.bosId, eosId: t.eosId };
}

/** Refuses a tokenizer whose vocabulary size or special ids differ from those a model was built for. */
export function checkTokenizerIds(t: ModelTokenizer, config: TokenizerIds): void {
  for (const key of ['padId', 'bosId', 'eosId', 'unkId'] as const) {
    if (t[key] !== config[key])
      throw new Error(`The tokenizer's ${key} (${t[key]}) differs from the model config's (${config[key]}).`);
  }
  if (t.vocabularySize !== config.vocabularySize)
    throw new Error(
      `The tokenizer has ${t.vocabularySize} pieces but the model ${config.vocabularySize}: use the tokenizer it was trained with.`,
    );
}
