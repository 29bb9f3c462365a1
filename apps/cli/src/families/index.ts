// The model families the attnzoo command knows: adding one is an entry here plus its package
// and its file beside this one (docs/adding-a-model-family.md).
import { UsageError } from '../command';
import { causalLM } from './causal-lm';
import type { ModelFamily } from './family';
import { textClassifier } from './text-classifier';
import { translator } from './translator';
import { vit } from './vit';

export const FAMILIES = {
  vit,
  'text-classifier': textClassifier,
  translator,
  'causal-lm': causalLM,
} satisfies Record<string, ModelFamily>;

export type ModelTask = keyof typeof FAMILIES;
export const MODEL_TASKS = Object.keys(FAMILIES) as ModelTask[];

/** The family word after `finetune`/`evaluate`/`predict`; a missing or unknown one is a usage error. */
export function modelTask(word: string | undefined, command: string): ModelTask {
  if (!word || !(MODEL_TASKS as string[]).includes(word)) {
    throw new UsageError(
      `${command} needs a model type first: attnzoo ${command} <${MODEL_TASKS.join('|')}> ...${word ? ` (got "${word}")` : ''}`,
    );
  }
  return word as ModelTask;
}

/** One line per family, e.g. for --data: `vit: mnist, ...; text-classifier: ...`. */
export function perFamily(pick: (f: ModelFamily) => string): string {
  return Object.values(FAMILIES as Record<string, ModelFamily>)
    .map((f) => `${f.name}: ${pick(f)}`)
    .join('; ');
}
