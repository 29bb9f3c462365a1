// `finetune --train-tokenizer`: a SentencePiece model trained on the user's own training texts.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import { trainSentencePiece } from '@attnzoo/tokenizer/node';
import type { RunContext } from './family';

/**
 * Trains the run's tokenizer on `texts` (the training part only), or, when the run resumes, loads
 * the one trained before: it is kept with the checkpoints, so a resumed run continues with the
 * vocabulary its checkpoint's embedding was trained for. `replaced` names the layers the caller
 * re-initialises, for the log.
 */
export async function trainRunTokenizer(
  c: RunContext,
  texts: () => Promise<string[]>,
  o: { asked: number; previous: number; characterCoverage: number; replaced: string },
): Promise<SentencePieceTokenizer> {
  const kept = join(c.store.dir, 'tokenizer.model');
  if (c.resume && existsSync(kept)) {
    c.log(`finetune: the tokenizer trained for this run (${kept})`);
    return SentencePieceTokenizer.fromBytes(new Uint8Array(await readFile(kept)), kept);
  }
  const inputTexts = await texts();
  const { tokenizer, modelPath } = await trainSentencePiece({
    inputTexts,
    vocabSize: o.asked,
    modelType: 'unigram',
    characterCoverage: o.characterCoverage,
    modelPrefix: join(c.store.dir, 'tokenizer'),
    numThreads: 2,
    // A soft limit: a small file holds fewer pieces than a release's vocabulary, and gets fewer.
    extraArgs: ['--hard_vocab_limit=false'],
  });
  const size = tokenizer.vocabularySize;
  c.log(
    `finetune: trained a ${size}-piece SentencePiece tokenizer on ${inputTexts.length} training texts` +
      `${size < o.asked ? ` (${o.asked} asked; the texts hold no more)` : ''} (${modelPath}); ` +
      `${o.replaced} re-initialised for it (${o.previous} → ${size} rows), the other pretrained weights are kept`,
  );
  return tokenizer;
}
