// Node-only entry: presets from folders, packages and cached URLs. Re-exports the browser-safe core.
import { fromPretrained, type NodeFromPretrainedOptions } from '@attnzoo/hub/node';
import { setPresetLoader, Translator } from './translator';

setPresetLoader(fromPretrained);

export * from './index';
export { type Pretokenized, readPretokenized, writePretokenized } from './pretokenized';

/**
 * `Translator.fromPretrained` with the Node loader's options: a folder, an installed model-release
 * package (`@attnzoo/model-translator-en-es-super`), a registered name or a URL (cached, verified).
 */
export function loadTranslator(source: string, options: NodeFromPretrainedOptions = {}): Promise<Translator> {
  return Translator.fromPretrained(source, options);
}
