// The translator family in the attnzoo command: --data spa-eng, an Anki zip or a pretokenized
// file; predict translates sentences (greedy, or beam search with --beam).
import { basename } from 'node:path';
import { savePreset } from '@attnzoo/hub/node';
import { FINETUNE_DEFAULTS, loadTranslator } from '@attnzoo/seq2seq-translator/node';
import { UsageError } from '../command';
import { existingFile, learningRate, parameterCounts, presetFolder } from '../tasks/common';
import { ANKI_NAMES, ownPairs, translationData } from '../tasks/data';
import type { ModelFamily, RunContext, Trained } from './family';
import { trainRunTokenizer } from './own-tokenizer';

async function finetuneTranslator(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  let translator = await loadTranslator(presetFolder(s.from));
  const data = await translationData(s.data, { train: s.trainLimit, test: s.testLimit }, s.columns);
  let tokenizer: Trained['tokenizer'];
  if (s.trainTokenizer) {
    const train = data.train;
    if (!ownPairs(s.data) || !('target' in train))
      throw new UsageError(
        `--train-tokenizer trains on your own pairs (a .csv/.tsv of source,target or a.txt,b.txt), not on ${s.data}.`,
      );
    const asked = s.vocab ?? translator.config.vocabularySize;
    // One vocabulary for both sides, as the release's: the training pairs' sources and targets.
    const trained = await trainRunTokenizer(c, async () => [...train.source, ...train.target], {
      asked,
      previous: translator.config.vocabularySize,
      characterCoverage: 1,
      replaced: 'the token embedding and the output layer are',
    });
    const swapped = translator.withTokenizer(trained);
    translator.dispose();
    translator = swapped;
    tokenizer = { trained: true, vocabularySize: trained.vocabularySize, asked, embedding: 're-initialised' };
  }
  const trainCount = 'count' in data.train ? data.train.count : data.train.source.length;
  c.log(`finetune: ${trainCount} training pairs, ${data.test.source.length} test pairs (${data.source})`);
  const totalSteps = Math.ceil(trainCount / s.batchSize) * s.epochs;
  const result = await translator.fit({
    train: data.train,
    epochs: s.epochs,
    batchSize: s.batchSize,
    // Cosine: the translator's own warm-up + cosine (to a twentieth of the peak); constant: the CLI's.
    lr:
      s.schedule === 'cosine'
        ? s.lr
        : learningRate({ schedule: s.schedule, peakLr: s.lr, warmup: s.warmup, totalSteps }),
    warmupSteps: Math.round(s.warmup * totalSteps),
    weightDecay: s.weightDecay,
    seed: s.seed,
    bleuSentences: 0,
    callbacks: c.callbacks,
    checkpoints: c.store,
    resume: c.resume,
  });
  const r = await translator.evaluate(data.test.source, data.test.target, { batchSize: 128 });
  await savePreset(
    translator,
    out,
    c.metadata({
      task: 'translation',
      parameters: parameterCounts(translator.models.model),
      dataset: { name: basename(data.source), split: 'test' },
      metricName: 'BLEU',
      metricValue: r.bleu.score,
      bleuSignature: r.bleu.signature,
    }),
    { overwrite: true },
  );
  translator.dispose();
  return {
    epochs: result.epochs,
    trainExamples: trainCount,
    testExamples: data.test.source.length,
    newHead: false,
    ...(tokenizer ? { tokenizer } : {}),
    metric: { name: 'BLEU', value: r.bleu.score },
    result,
  };
}

/**
 * `attnzoo finetune <vit|text-classifier|translator>`: fine-tunes a preset (name, folder or URL)
 * on a data set and writes a new preset folder with its model card. Checkpoints go to
 * `<out>.checkpoints/` after every epoch; `--resume` continues an interrupted run from there.
 */

export const translator: ModelFamily = {
  name: 'translator',
  data: 'spa-eng, an Anki .zip, a pretokenized file, or your own .csv/.tsv of source,target or a.txt,b.txt',
  inputs: 'sentences',
  metric: 'BLEU',
  trainsTokenizer: true,
  finetuneDefaults: FINETUNE_DEFAULTS,
  checkData: (value) => {
    if (!ANKI_NAMES.includes(value.toLowerCase()) && !ownPairs(value))
      existingFile(
        value,
        'an Anki spa-eng.zip, a pretokenized file, a .csv/.tsv of source,target, or two aligned files as a.txt,b.txt',
      );
  },
  finetune: finetuneTranslator,
  async evaluate(o) {
    const t = await loadTranslator(presetFolder(o.from));
    try {
      const { test } = await translationData(o.data, { test: o.limit, train: 1 }, o.columns);
      const e = await t.evaluate(test.source, test.target, { batchSize: 128 });
      return { count: e.sentences, metric: { name: 'BLEU', value: e.bleu.score } };
    } finally {
      t.dispose();
    }
  },
  async predict(o) {
    const t = await loadTranslator(presetFolder(o.from));
    try {
      const beam = o.beam ?? 1;
      const r = await t.translate(
        o.inputs,
        beam > 1 ? { method: 'beam', beamWidth: beam, lengthPenalty: 0.6 } : undefined,
      );
      return r.translations.map((text, i) => ({ input: o.inputs[i], translation: text }));
    } finally {
      t.dispose();
    }
  },
};
