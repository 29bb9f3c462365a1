/**
 * Word-level vocabularies as in the Keras examples the paper's models come from
 * (`TextVectorization`: lower-case, punctuation stripped, the most frequent words, 0 = padding,
 * 1 = out of vocabulary). The paper's text models are tiny, so a SentencePiece model is not needed.
 */

export const PAD_ID = 0;
export const UNK_ID = 1;

/** Lower-cases, turns HTML line breaks into spaces and splits into words (letters, digits, apostrophes). */
export function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .replace(/<br\s*\/?>/g, ' ')
      .match(/[\p{L}\p{N}']+/gu) ?? []
  );
}

export class WordVocabulary {
  readonly index = new Map<string, number>();
  readonly words: string[];

  /** The `size - reserved` most frequent words of `texts` (ties: first seen first). */
  constructor(texts: Iterable<string>, size: number, reserved: string[] = ['<pad>', '<unk>']) {
    const counts = new Map<string, number>();
    for (const t of texts) for (const w of words(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const top = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Math.max(0, size - reserved.length))
      .map(([w]) => w);
    this.words = [...reserved, ...top];
    for (const [i, w] of this.words.entries()) this.index.set(w, i);
  }

  get size(): number {
    return this.words.length;
  }

  ids(text: string): number[] {
    return words(text).map((w) => this.index.get(w) ?? UNK_ID);
  }

  /** `[count, length]` ids, cut at the end or padded with PAD_ID. */
  encodeFixed(texts: readonly string[], length: number): Int32Array {
    const out = new Int32Array(texts.length * length);
    texts.forEach((t, i) => {
      const ids = this.ids(t).slice(0, length);
      out.set(ids, i * length);
    });
    return out;
  }
}

/**
 * A translator tokenizer over a shared word vocabulary (pad 0, unk 1, bos 2, eos 3); decoding
 * joins words with spaces, so BLEU is computed on the same normalised text for hypotheses and references.
 */
export class WordTokenizer {
  readonly padId = PAD_ID;
  readonly unkId = UNK_ID;
  readonly bosId = 2;
  readonly eosId = 3;
  readonly vocabulary: WordVocabulary;

  constructor(texts: Iterable<string>, size: number) {
    this.vocabulary = new WordVocabulary(texts, size, ['<pad>', '<unk>', '<s>', '</s>']);
  }
  get vocabularySize(): number {
    return this.vocabulary.size;
  }
  encode(text: string): number[] {
    return this.vocabulary.ids(text);
  }
  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) if (ids[i] > this.eosId) out.push(this.vocabulary.words[ids[i]]);
    return out.join(' ');
  }
  /** The text as the tokenizer sees it (references are scored in this form). */
  normalise(text: string): string {
    return words(text).join(' ');
  }
}
