// Node entry: presets from folders, packages and cached URLs. Re-exports the browser-safe core.
import { fromPretrained } from '@attnzoo/hub/node';
import { setPresetLoader } from './causal-lm';

setPresetLoader(fromPretrained);

export * from './index';
