import { chooseBackend } from '../backend';
import { UsageError } from '../command';
import { FAMILIES, type ModelTask } from '../families';
import { checkStrict, type ModelFamily, type PredictRow, type TextColumns } from '../families/family';

export interface EvaluateOptions {
  task: ModelTask;
  from: string;
  data: string;
  limit?: number;
  columns?: TextColumns;
  /** Own images: refuse one far from the model's size or channels. */
  strict?: boolean;
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
  const family: ModelFamily = FAMILIES[o.task];
  checkStrict(family, o.strict);
  family.checkData(o.data);
  const choice = await chooseBackend(o.backend);
  const measured = await family.evaluate({
    from: o.from,
    data: o.data,
    limit: o.limit,
    columns: o.columns,
    strict: o.strict,
  });
  const r: EvaluateResult = {
    task: o.task,
    from: o.from,
    data: o.data,
    backend: choice.backend,
    ...measured,
  };
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
  /** Images: refuse one far from the model's size or channels instead of warning. */
  strict?: boolean;
  backend?: string;
  json: boolean;
}

/** `attnzoo predict`: labels with probabilities for image files or texts, translations for sentences. */
export async function predict(o: PredictOptions): Promise<PredictRow[]> {
  if (o.inputs.length === 0) {
    const what = FAMILIES[o.task].inputs;
    throw new UsageError(
      `predict ${o.task} needs ${what} after the options, e.g. attnzoo predict ${o.task} --from <preset> <input> ...`,
    );
  }
  const family: ModelFamily = FAMILIES[o.task];
  checkStrict(family, o.strict);
  await chooseBackend(o.backend);
  const rows = await family.predict({
    from: o.from,
    inputs: o.inputs,
    top: o.top,
    beam: o.beam,
    strict: o.strict,
  });
  if (o.json) console.log(JSON.stringify(rows, null, 2));
  else
    for (const r of rows) {
      const text = r.translation ?? r.continuation;
      if (text !== undefined) console.log(`${r.input}\t${text}`);
      else
        console.log(
          `${r.input}\t${r.label}\t${r.probability?.toFixed(4)}\t${r.top?.map((t) => `${t.label}:${t.probability.toFixed(3)}`).join(' ')}` +
            (r.warning ? `\twarning: ${r.warning}` : ''),
        );
    }
  return rows;
}
