// Browser-safe core: backbone, preprocessor, the CausalLM task, presets.
import '@attnzoo/attention';

export { buildCausalLM, type CausalLMConfig, checkConfig, HEAD_LAYER, INPUT_NAME } from './backbone';
export {
  CausalLM,
  type EvaluateResult,
  type FitOptions,
  type GenerateOptions,
  PRESET_TASK_CLASS,
  setPresetLoader,
} from './causal-lm';
export { CausalLMPreprocessor, type CausalLMTokenizer, type EncodedTexts } from './preprocessor';
export {
  type ArchitectureConfig,
  DEFAULT_ARCHITECTURE,
  FINETUNE_DEFAULTS,
  FIT_DEFAULTS,
  LM_PRESETS,
  presetArchitecture,
} from './presets';
