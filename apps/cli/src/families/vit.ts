// The vit family in the attnzoo command: --data an image data set, predict on image files.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { modelCost } from '@attnzoo/attention';
import { type ImageSplit, selectExamples, stratifiedSample } from '@attnzoo/datasets';
import { savePreset } from '@attnzoo/hub/node';
import {
  decodeImage,
  FINETUNE_DEFAULTS,
  ImageClassifier,
  imageMismatch,
  loadImageData,
  loadLabelledImages,
} from '@attnzoo/vit/node';
import { UsageError } from '../command';
import { evaluatePreset } from '../release/vit';
import { presetFolder } from '../tasks/common';
import { imageData } from '../tasks/data';
import {
  finetuneFitOptions,
  type ModelFamily,
  type RunContext,
  type Trained,
  toModelClasses,
} from './family';

/** Train and test images: a named data set's official splits, or the user's own images split 90 / 10. */
async function loadImages(
  data: string,
  classifier: ImageClassifier,
  o: { trainLimit?: number; testLimit?: number; seed: number; strict?: boolean; log: (line: string) => void },
) {
  const d = imageData(data);
  if (d.own === undefined) {
    const loaded = await loadImageData(d.dataset, { data: d.path, ...o });
    return { ...loaded, dataset: d.dataset as string };
  }
  const [size, , channels] = classifier.preprocessor.shape;
  const own = await loadLabelledImages(d.own, { size, channels: channels as 1 | 3, strict: o.strict });
  if (own.upscaled > 0)
    o.log(
      `warning: ${own.upscaled} image(s) in ${d.own} are smaller than the model's ${size}×${size} and were enlarged`,
    );
  const limit = (s: ImageSplit, n?: number) =>
    n === undefined || n >= s.count
      ? s
      : selectExamples(
          s,
          stratifiedSample(s.labels, Math.ceil(n / (s.classNames?.length ?? 1)), o.seed).slice(0, n),
        );
  return {
    train: limit(own.train, o.trainLimit),
    test: limit(own.test, o.testLimit),
    source: own.source,
    dataset: basename(d.own),
  };
}

async function finetuneVit(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  let classifier = await ImageClassifier.fromPretrained(presetFolder(s.from));
  const loaded = await loadImages(s.data, classifier, {
    trainLimit: s.trainLimit,
    testLimit: s.testLimit,
    seed: s.seed,
    strict: s.strict,
    // A warning about the data goes to stderr also under --json.
    log: (line) => console.error(line),
  });
  const dataset = loaded.dataset;
  const trainSplit = classifier.preprocessor.convertSplit(loaded.train!);
  const testSplit = classifier.preprocessor.convertSplit(loaded.test!);
  const names = trainSplit.classNames ? [...trainSplit.classNames] : undefined;
  const same =
    names !== undefined &&
    names.length === classifier.classNames.length &&
    names.every((n, i) => n === classifier.classNames[i]);
  const sameCount = (names?.length ?? classifier.config.numClasses) === classifier.config.numClasses;
  const newHead = !(same || (names === undefined && sameCount));
  if (newHead) {
    classifier = classifier.withNewHead(names?.length ?? classifier.config.numClasses, names, s.seed);
    c.log(`finetune: new ${classifier.config.numClasses}-class head for ${dataset}`);
  }
  c.log(
    `finetune: ${trainSplit.count} training and ${testSplit.count} test images of ${dataset} (${loaded.source})`,
  );
  const totalSteps = Math.ceil(trainSplit.count / s.batchSize) * s.epochs;
  const result = await classifier.fit({
    train: trainSplit,
    test: testSplit,
    ...finetuneFitOptions(c, totalSteps),
  });
  const value = result.test?.accuracy ?? Number.NaN;
  const cost = modelCost(classifier.model);
  await savePreset(
    classifier,
    out,
    c.metadata({
      task: 'image-classification',
      parameters: { total: cost.totalParameters, attention: cost.attentionParameters },
      dataset: {
        name: dataset,
        split: 'test',
        description: `${testSplit.count} test images from ${loaded.source}`,
      },
      metricName: 'accuracy',
      metricValue: value,
    }),
    { overwrite: true },
  );
  classifier.dispose();
  return {
    epochs: result.epochs,
    trainExamples: trainSplit.count,
    testExamples: testSplit.count,
    newHead,
    metric: { name: 'accuracy', value },
    result,
  };
}

export const vit: ModelFamily = {
  name: 'vit',
  data: 'mnist (embedded), fashion-mnist, cifar10, cifar100, a data set path, or your own images: a folder per class or a CSV of path,label',
  inputs: 'image files',
  metric: 'accuracy',
  finetuneDefaults: FINETUNE_DEFAULTS,
  strictImages: true,
  checkData: (value) => void imageData(value),
  finetune: finetuneVit,
  async evaluate(o) {
    const d = imageData(o.data);
    if (d.own !== undefined) {
      // Own images: the test part of the same seeded split finetune used.
      const classifier = await ImageClassifier.fromPretrained(presetFolder(o.from));
      try {
        const { test } = await loadImages(o.data, classifier, {
          seed: 42,
          strict: o.strict,
          log: (l) => console.error(l),
        });
        const t = {
          ...test!,
          labels: toModelClasses(test!.labels, test!.classNames, classifier.classNames, o.data),
          classNames: classifier.classNames,
        };
        const n = o.limit !== undefined && o.limit < t.count ? o.limit : t.count;
        const e = await classifier.evaluate(
          selectExamples(
            t,
            Array.from({ length: n }, (_, i) => Math.floor((i * t.count) / n)),
          ),
        );
        return { count: e.count, metric: { name: 'accuracy', value: e.accuracy }, loss: e.loss };
      } finally {
        classifier.dispose();
      }
    }
    const e = await evaluatePreset(presetFolder(o.from), d.dataset, { data: d.path, limit: o.limit });
    return { count: e.count, metric: { name: 'accuracy', value: e.accuracy }, loss: e.loss };
  },
  async predict(o) {
    const files = await Promise.all(
      o.inputs.map(async (p) => {
        try {
          return new Uint8Array(await readFile(p));
        } catch {
          throw new UsageError(`${p}: no such image file.`);
        }
      }),
    );
    const classifier = await ImageClassifier.fromPretrained(presetFolder(o.from));
    try {
      if (o.strict) {
        const [size, , channels] = classifier.preprocessor.shape;
        files.forEach((bytes, i) => {
          const mismatch = imageMismatch(decodeImage(bytes, o.inputs[i]), size, channels);
          if (mismatch)
            throw new UsageError(
              `${o.inputs[i]} ${mismatch}; resize or convert it to ${size}×${size} ${channels === 1 ? 'grey' : 'colour'}, or drop --strict to predict with a warning.`,
            );
        });
      }
      const predictions = await classifier.predict(files, { topK: o.top });
      return predictions.map((p, i) => ({
        input: o.inputs[i],
        label: p.label,
        probability: p.probability,
        top: p.top.map((t) => ({ label: t.label, probability: t.probability })),
        ...(p.warning ? { warning: p.warning } : {}),
      }));
    } finally {
      classifier.dispose();
    }
  },
};
