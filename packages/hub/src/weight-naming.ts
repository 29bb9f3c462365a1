/**
 * Other names (and layouts) for a model's weights in a safetensors file, e.g. Hugging Face's
 * `vit.encoder.layer.0.attention.attention.query.weight` for `vit_block0_attention/query_kernel`.
 * A model package registers its namings by task class; export and import look them up by the
 * preset's task and the file's `attnzoo.names` metadata. Browser-safe.
 */
import { PresetError } from './errors';

/** One tensor: its name, shape and float32 values (row-major). */
export interface NamedValues {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface WeightNaming {
  /** Written as `attnzoo.names` in the file's metadata; import picks the naming back by it. */
  id: string;
  /** The external tensor for a tfjs weight (new name, and the layout the other framework keeps). */
  toExternal(t: NamedValues): NamedValues;
  /** The tfjs weight for an external tensor, or undefined when the name is not one of this naming's. */
  fromExternal(t: NamedValues): NamedValues | undefined;
  /** Files written beside the weights (e.g. Hugging Face's config.json), by file name. */
  companionFiles?(): Record<string, string>;
}

/** Builds a naming for one preset's config, or throws a PresetError when that model has no such names. */
export type WeightNamingFactory = (taskConfig: Record<string, unknown>) => WeightNaming;

/** `__metadata__` key naming the convention of a file's tensor names (absent: tfjs names). */
export const SAFETENSORS_NAMES_KEY = 'attnzoo.names';

const registry = new Map<string, Map<string, WeightNamingFactory>>();

/** Makes `id` (e.g. 'hf') available for presets of the task class `taskClassName`. */
export function registerWeightNaming(taskClassName: string, id: string, factory: WeightNamingFactory): void {
  const byId = registry.get(taskClassName) ?? new Map<string, WeightNamingFactory>();
  registry.set(taskClassName, byId);
  byId.set(id, factory);
}

/** The naming `id` for a preset config ({ task: { className, config } }); a PresetError when there is none. */
export function weightNaming(
  presetConfig: { task?: { className?: string; config?: Record<string, unknown> } },
  id: string,
): WeightNaming {
  const className = presetConfig.task?.className ?? '(no task class)';
  const factory = registry.get(className)?.get(id);
  if (!factory) {
    const known = [...(registry.get(className)?.keys() ?? [])];
    throw new PresetError(
      'invalid',
      `No '${id}' weight names for ${className} models` +
        (known.length ? ` (it has: ${known.join(', ')})` : ' (it has only its own tfjs names)') +
        ': export without --names, which keeps the tfjs names.',
    );
  }
  return factory(presetConfig.task?.config ?? {});
}

/** `data` of `shape` with its axes reordered by `perm` (as numpy.transpose). */
export function permuteValues(data: Float32Array, shape: number[], perm: number[]): NamedValues['data'] {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let from = 0;
    for (let i = 0; i < rank; i++) from += index[i] * inStrides[perm[i]];
    out[o] = data[from];
    for (let i = rank - 1; i >= 0; i--) {
      if (++index[i] < outShape[i]) break;
      index[i] = 0;
    }
  }
  return out;
}

/** A 2-D tensor transposed ([in, out] dense kernels ⇄ PyTorch's [out, in] Linear weights). */
export function transposed(t: NamedValues, name: string): NamedValues {
  return { name, shape: [t.shape[1], t.shape[0]], data: permuteValues(t.data, t.shape, [1, 0]) };
}
