// The vit family in the attnzoo command: --data an image data set, predict on image files.
import { readFile } from 'node:fs/promises';
import { modelCost } from '@attnzoo/attention';
import { savePreset } from '@attnzoo/hub/node';
import { FINETUNE_DEFAULTS, ImageClassifier, loadImageData } from '@attnzoo/vit/node';
import { UsageError } from '../command';
import { evaluatePreset } from '../release/vit';
import { presetFolder } from '../tasks/common';
import { imageData } from '../tasks/data';
import { finetuneFitOptions, type ModelFamily, type RunContext, type Trained } from './family';

async function finetuneVit(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  const { dataset, path } = imageData(s.data);
  let classifier = await ImageClassifier.fromPretrained(presetFolder(s.from));
  const loaded = await loadImageData(dataset, {
    data: path,
    trainLimit: s.trainLimit,
    testLimit: s.testLimit,
    seed: s.seed,
  });
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
  data: 'mnist (embedded), fashion-mnist, cifar10, cifar100 or a path',
  inputs: 'image files',
  metric: 'accuracy',
  finetuneDefaults: FINETUNE_DEFAULTS,
  checkData: (value) => void imageData(value),
  finetune: finetuneVit,
  async evaluate(o) {
    const { dataset, path } = imageData(o.data);
    const e = await evaluatePreset(presetFolder(o.from), dataset, { data: path, limit: o.limit });
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
      const predictions = await classifier.predict(files, { topK: o.top });
      return predictions.map((p, i) => ({
        input: o.inputs[i],
        label: p.label,
        probability: p.probability,
        top: p.top.map((t) => ({ label: t.label, probability: t.probability })),
      }));
    } finally {
      classifier.dispose();
    }
  },
};
