import { readFile } from 'node:fs/promises';
import { loadTranslator } from '@attnzoo/seq2seq-translator/node';
import { loadTrainingData, spreadLimit, TextClassifier } from '@attnzoo/text-classifier/node';
import { ImageClassifier } from '@attnzoo/vit/node';
import { chooseBackend } from '../backend';
import { UsageError } from '../command';
import { evaluatePreset } from '../release/vit';
import { type ModelTask, presetFolder } from '../tasks/common';
import { checkData, imageData, textData, translationData } from '../tasks/data';

export interface EvaluateOptions {
  task: ModelTask;
  from: string;
  data: string;
  limit?: number;
  backend?: string;
  json: boolean;
}

export interface EvaluateResult {
  task: ModelTask;
  from: string;
  data: string;
  backend: string;
  count: number;
  metric: { name: string; value: number };
  loss?: number;
}

/** `attnzoo evaluate`: the test metric of a preset (accuracy, or BLEU for translators). */
export async function evaluate(o: EvaluateOptions): Promise<EvaluateResult> {
  checkData(o.task, o.data);
  const choice = await chooseBackend(o.backend);
  const from = presetFolder(o.from);
  const base = { task: o.task, from: o.from, data: o.data, backend: choice.backend };
  let r: EvaluateResult;
  if (o.task === 'vit') {
    const { dataset, path } = imageData(o.data);
    const e = await evaluatePreset(from, dataset, { data: path, limit: o.limit });
    r = { ...base, count: e.count, metric: { name: 'accuracy', value: e.accuracy }, loss: e.loss };
  } else if (o.task === 'text-classifier') {
    const clf = await TextClassifier.fromPretrained(from);
    try {
      const data = await loadTrainingData(textData(o.data), {
        preprocessor: clf.config.preprocessor,
        tokenizerBytes: clf.tokenizer.bytes,
      });
      const e = await clf.evaluate(spreadLimit(data.splits.test, o.limit));
      r = { ...base, count: e.count, metric: { name: 'accuracy', value: e.accuracy }, loss: e.loss };
    } finally {
      clf.dispose();
    }
  } else {
    const translator = await loadTranslator(from);
    try {
      const { test } = await translationData(o.data, { test: o.limit, train: 1 });
      const e = await translator.evaluate(test.source, test.target, { batchSize: 128 });
      r = { ...base, count: e.sentences, metric: { name: 'BLEU', value: e.bleu.score } };
    } finally {
      translator.dispose();
    }
  }
  if (o.json) console.log(JSON.stringify(r, null, 2));
  else {
    const v =
      r.metric.name === 'accuracy' ? `${(100 * r.metric.value).toFixed(2)} %` : r.metric.value.toFixed(2);
    console.log(
      `test ${r.metric.name} ${v} on ${r.count} examples (${o.from}, ${o.data}, backend ${r.backend})`,
    );
  }
  return r;
}

export interface PredictOptions {
  task: ModelTask;
  from: string;
  inputs: string[];
  top: number;
  /** Translator: beam width (greedy when 1 or left out). */
  beam?: number;
  backend?: string;
  json: boolean;
}

/** `attnzoo predict`: labels with probabilities for image files or texts, translations for sentences. */
export async function predict(o: PredictOptions): Promise<unknown[]> {
  if (o.inputs.length === 0) {
    const what = o.task === 'vit' ? 'image files' : o.task === 'text-classifier' ? 'texts' : 'sentences';
    throw new UsageError(
      `predict ${o.task} needs ${what} after the options, e.g. attnzoo predict ${o.task} --from <preset> <input> ...`,
    );
  }
  await chooseBackend(o.backend);
  const from = presetFolder(o.from);
  let rows: {
    input: string;
    label?: string;
    probability?: number;
    top?: { label: string; probability: number }[];
    translation?: string;
  }[];
  if (o.task === 'vit') {
    const files = await Promise.all(
      o.inputs.map(async (p) => {
        try {
          return new Uint8Array(await readFile(p));
        } catch {
          throw new UsageError(`${p}: no such image file.`);
        }
      }),
    );
    const classifier = await ImageClassifier.fromPretrained(from);
    try {
      const predictions = await classifier.predict(files, { topK: o.top });
      rows = predictions.map((p, i) => ({
        input: o.inputs[i],
        label: p.label,
        probability: p.probability,
        top: p.top.map((t) => ({ label: t.label, probability: t.probability })),
      }));
    } finally {
      classifier.dispose();
    }
  } else if (o.task === 'text-classifier') {
    const clf = await TextClassifier.fromPretrained(from);
    try {
      const predictions = await clf.predict(o.inputs);
      rows = predictions.map((p, i) => {
        const order = p.probabilities.map((q, k) => [q, k] as const).sort((a, b) => b[0] - a[0]);
        return {
          input: o.inputs[i],
          label: p.label,
          probability: p.probability,
          top: order.slice(0, o.top).map(([q, k]) => ({ label: clf.classNames[k], probability: q })),
        };
      });
    } finally {
      clf.dispose();
    }
  } else {
    const translator = await loadTranslator(from);
    try {
      const beam = o.beam ?? 1;
      const r = await translator.translate(
        o.inputs,
        beam > 1 ? { method: 'beam', beamWidth: beam, lengthPenalty: 0.6 } : undefined,
      );
      rows = r.translations.map((t, i) => ({ input: o.inputs[i], translation: t }));
    } finally {
      translator.dispose();
    }
  }
  if (o.json) console.log(JSON.stringify(rows, null, 2));
  else
    for (const r of rows) {
      if (r.translation !== undefined) console.log(`${r.input}\t${r.translation}`);
      else
        console.log(
          `${r.input}\t${r.label}\t${r.probability?.toFixed(4)}\t${r.top?.map((t) => `${t.label}:${t.probability.toFixed(3)}`).join(' ')}`,
        );
    }
  return rows;
}
