// The causal-lm family in the attnzoo command: --data spa-eng (the Spanish side of the Anki
// pairs, the translator's split) or an Anki .zip; predict continues prompts.
import { CausalLM, FINETUNE_DEFAULTS } from '@attnzoo/causal-lm/node';
import { savePreset } from '@attnzoo/hub/node';
import { UsageError } from '../command';
import { existingFile, parameterCounts, presetFolder } from '../tasks/common';
import { ANKI_NAMES, translationData } from '../tasks/data';
import { finetuneFitOptions, type ModelFamily, type RunContext, type Trained } from './family';

/** The Spanish sentences of the Anki pairs' train and test splits. */
async function spanish(value: string, limits: { train?: number; test?: number }) {
  const d = await translationData(value, limits);
  if ('count' in d.train)
    throw new UsageError(
      `--data ${value}: causal-lm reads text (spa-eng or an Anki .zip), not a pretokenized file.`,
    );
  return { train: d.train.target, test: d.test.target, source: d.source };
}

async function finetuneLM(c: RunContext, out: string): Promise<Trained> {
  const s = c.settings;
  const lm = await CausalLM.fromPretrained(presetFolder(s.from));
  const data = await spanish(s.data, { train: s.trainLimit, test: s.testLimit });
  c.log(`finetune: ${data.train.length} training and ${data.test.length} test sentences (${data.source})`);
  const totalSteps = Math.ceil(data.train.length / s.batchSize) * s.epochs;
  const result = await lm.fit({
    train: data.train,
    ...finetuneFitOptions(c, totalSteps),
  });
  const r = await lm.evaluate(data.test);
  await savePreset(
    lm,
    out,
    c.metadata({
      task: 'text-generation',
      parameters: parameterCounts(lm.model),
      dataset: { name: 'anki-spa-eng (Spanish side)', split: 'test' },
      metricName: 'perplexity',
      metricValue: r.perplexity,
    }),
    { overwrite: true },
  );
  lm.dispose();
  return {
    epochs: result.epochs,
    trainExamples: data.train.length,
    testExamples: r.count,
    newHead: false,
    metric: { name: 'perplexity', value: r.perplexity },
    result,
  };
}

export const causalLM: ModelFamily = {
  name: 'causal-lm',
  data: 'spa-eng (its Spanish side) or an Anki .zip',
  inputs: 'prompts',
  metric: 'perplexity',
  finetuneDefaults: FINETUNE_DEFAULTS,
  checkData: (value) => {
    if (!ANKI_NAMES.includes(value.toLowerCase())) existingFile(value, 'an Anki spa-eng.zip');
  },
  finetune: finetuneLM,
  async evaluate(o) {
    const lm = await CausalLM.fromPretrained(presetFolder(o.from));
    try {
      const { test } = await spanish(o.data, { test: o.limit, train: 1 });
      const e = await lm.evaluate(test);
      return { count: e.count, metric: { name: 'perplexity', value: e.perplexity }, loss: e.loss };
    } finally {
      lm.dispose();
    }
  },
  async predict(o) {
    const lm = await CausalLM.fromPretrained(presetFolder(o.from));
    try {
      const texts = await lm.predict(o.inputs);
      return texts.map((text, i) => ({ input: o.inputs[i], continuation: text }));
    } finally {
      lm.dispose();
    }
  },
};
