import { type PaddedBatch, type SentencePieceTokenizer, TokenizerError } from '@attnzoo/tokenizer';
import type { TextPreprocessorConfig } from './config';

const HTML_BREAK = /<br\s*\/?>/gi;
const HTML_TAG = /<\/?[a-z][a-z0-9]*(?:\s[^<>]*)?\/?>/gi;
const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
  '&nbsp;': ' ',
};
// Control characters other than tab/newline (e.g. NUL) carry no meaning and confuse tools.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Cleans one raw text: HTML breaks and tags, entities, control characters, Unicode form, whitespace. */
export function cleanText(
  text: string,
  config: Pick<TextPreprocessorConfig, 'stripHtml' | 'unicodeNormalization' | 'lowercase'>,
): string {
  if (typeof text !== 'string') {
    throw new TypeError(`expected a string, got ${text === null ? 'null' : typeof text}`);
  }
  let t = text;
  if (config.stripHtml) {
    t = t.replace(HTML_BREAK, ' ').replace(HTML_TAG, ' ');
    t = t.replace(/&(?:amp|lt|gt|quot|#39|nbsp);/g, (e) => ENTITIES[e] ?? e);
  }
  t = t.replace(CONTROL, ' ');
  if (config.unicodeNormalization !== 'none') t = t.normalize(config.unicodeNormalization);
  if (config.lowercase) t = t.toLowerCase();
  return t.replace(/\s+/g, ' ').trim();
}

/**
 * Raw strings → fixed-length id rows: cleanup, SentencePiece (sentencepiece-js), optional bos as
 * class token, truncation by policy, padding with the tokenizer's pad id.
 */
export class TextPreprocessor {
  static readonly className = 'attnzoo.text-classifier.TextPreprocessor';

  constructor(
    readonly tokenizer: SentencePieceTokenizer,
    readonly config: TextPreprocessorConfig,
  ) {
    if (tokenizer.padId < 0) {
      throw new TokenizerError(
        'NO_PAD',
        'the tokenizer has no pad piece; attnzoo text models need one (train it with trainSentencePiece: pad 0)',
      );
    }
  }

  clean(text: string): string {
    return cleanText(text, this.config);
  }

  /** `[count, maxLength]` ids (row-major) with the lengths before padding and before truncation. */
  encode(texts: readonly string[]): PaddedBatch {
    if (!Array.isArray(texts)) throw new TypeError('encode expects an array of strings');
    return this.tokenizer.encodePadded(
      texts.map((t, i) => {
        if (typeof t !== 'string')
          throw new TypeError(`text ${i} is ${t === null ? 'null' : typeof t}, not a string`);
        return this.clean(t);
      }),
      {
        maxLength: this.config.maxLength,
        truncation: this.config.truncation,
        addBos: this.config.addBos,
      },
    );
  }

  getConfig(): TextPreprocessorConfig {
    return { ...this.config };
  }
}
