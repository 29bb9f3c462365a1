// The text-classifier family in the attnzoo command: --data imdb, amazon, an archive or a
// pre-tokenized file; predict on texts.
import { labelledTextFormat, loadLabelledTexts } from '@attnzoo/datasets/node';
import { savePreset } from '@attnzoo/hub/node';
import {
  cleanText,
  FINETUNE_DEFAULTS,
  FIT_DEFAULTS,
  loadTrainingData,
  spreadLimit,
  TextClassifier,
} from '@attnzoo/text-classifier/node';
import type { SentencePieceTokenizer } from '@attnzoo/tokenizer';
import { UsageError } from '../command';
import { presetFolder } from '../tasks/common';
import { textData } from '../tasks/data';
import {
  finetuneFitOptions,
  type ModelFamily,
  type RunContext,
  type Trained,
  toModelClasses,
} from './family';
import { trainRunTokenizer } from './own-tokenizer';

async function finetuneText(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  const path = textData(s.data);
  let clf = await TextClassifier.fromPretrained(presetFolder(s.from));
  let tokenizer: Trained['tokenizer'];
  if (s.trainTokenizer) {
    const asked = s.vocab ?? clf.config.vocabularySize;
    const trained = await ownTokenizer(c, path, clf);
    const swapped = await clf.withTokenizer(trained);
    clf.dispose();
    clf = swapped;
    tokenizer = { trained: true, vocabularySize: trained.vocabularySize, asked, embedding: 're-initialised' };
  }
  const data = await loadTrainingData(path, {
    preprocessor: clf.config.preprocessor,
    tokenizerBytes: clf.tokenizer.bytes,
    columns: s.columns,
  });
  const names = data.classNames;
  const newHead = !(names.length === clf.classNames.length && names.every((n, i) => n === clf.classNames[i]));
  if (newHead) {
    clf = clf.withNewHead(names.length, names, s.seed);
    c.log(`finetune: new ${names.length}-class head (${names.join(', ')})`);
  }
  const tr = spreadLimit(data.splits.train, s.trainLimit);
  const te = spreadLimit(data.splits.test, s.testLimit);
  c.log(`finetune: ${tr.count} training and ${te.count} test texts of ${data.dataset}`);
  const totalSteps = Math.ceil(tr.count / s.batchSize) * s.epochs;
  const result = await clf.fit({
    train: tr,
    test: te,
    ...finetuneFitOptions(c, totalSteps),
  });
  const value = result.test?.accuracy ?? Number.NaN;
  const p = clf.parameters();
  await savePreset(
    clf,
    out,
    c.metadata({
      task: 'text-classification',
      parameters: p,
      dataset: { name: data.dataset, split: 'test', description: data.splitNote },
      metricName: 'accuracy',
      metricValue: value,
    }),
    { overwrite: true },
  );
  clf.dispose();
  return {
    epochs: result.epochs,
    trainExamples: tr.count,
    testExamples: te.count,
    newHead,
    ...(tokenizer ? { tokenizer } : {}),
    metric: { name: 'accuracy', value },
    result,
  };
}

/** The split loadTrainingData makes of own data: the tokenizer learns from its training part only. */
const OWN_SPLIT_SEED = 42;

/** `--train-tokenizer`: the training texts of the user's own file, cleaned as the preprocessor cleans them. */
async function ownTokenizer(
  c: RunContext,
  path: string,
  clf: TextClassifier,
): Promise<SentencePieceTokenizer> {
  const s = c.settings;
  if (!(await labelledTextFormat(path)))
    throw new UsageError(
      `--train-tokenizer trains on your own texts (.csv, .tsv, .jsonl or a folder per class), not on ${s.data}.`,
    );
  return trainRunTokenizer(
    c,
    async () => {
      const d = await loadLabelledTexts(path, { ...s.columns, seed: OWN_SPLIT_SEED, testFraction: 0.1 });
      return d.train.texts.map((t) => cleanText(t, clf.config.preprocessor));
    },
    {
      asked: s.vocab ?? clf.config.vocabularySize,
      previous: clf.config.vocabularySize,
      characterCoverage: 0.9995,
      replaced: 'the token embedding is',
    },
  );
}

export const textClassifier: ModelFamily = {
  name: 'text-classifier',
  data: 'imdb, amazon, an archive, a .bin, or your own .csv/.tsv/.jsonl or folder per class',
  inputs: 'texts',
  metric: 'accuracy',
  trainsTokenizer: true,
  finetuneDefaults: {
    ...FINETUNE_DEFAULTS,
    weightDecay: FINETUNE_DEFAULTS.weightDecay ?? FIT_DEFAULTS.weightDecay,
  },
  checkData: (value) => void textData(value),
  finetune: finetuneText,
  async evaluate(o) {
    const clf = await TextClassifier.fromPretrained(presetFolder(o.from));
    try {
      const data = await loadTrainingData(textData(o.data), {
        preprocessor: clf.config.preprocessor,
        tokenizerBytes: clf.tokenizer.bytes,
        columns: o.columns,
      });
      const test = data.splits.test;
      const labels = toModelClasses(test.labels, data.classNames, clf.classNames, o.data);
      const e = await clf.evaluate(spreadLimit({ ...test, labels }, o.limit));
      return { count: e.count, metric: { name: 'accuracy', value: e.accuracy }, loss: e.loss };
    } finally {
      clf.dispose();
    }
  },
  async predict(o) {
    const clf = await TextClassifier.fromPretrained(presetFolder(o.from));
    try {
      const predictions = await clf.predict(o.inputs);
      return predictions.map((p, i) => {
        const order = p.probabilities.map((q, k) => [q, k] as const).sort((a, b) => b[0] - a[0]);
        return {
          input: o.inputs[i],
          label: p.label,
          probability: p.probability,
          top: order.slice(0, o.top).map(([q, k]) => ({ label: clf.classNames[k], probability: q })),
          ...(p.empty
            ? { empty: true, warning: 'no text left after cleaning: the label comes from the biases alone' }
            : {}),
        };
      });
    } finally {
      clf.dispose();
    }
  },
};
