// Node-only entry: presets from folders, packages and cached URLs. Re-exports the browser-safe core.
import { fromPretrained as hubFromPretrained, type NodeFromPretrainedOptions } from '@attnzoo/hub/node';
import { Translator } from './translator';

export * from './index';
export { type Pretokenized, readPretokenized, writePretokenized } from './pretokenized';

Translator.presetLoader = (source, options) =>
  hubFromPretrained(source, options as NodeFromPretrainedOptions);

/**
 * Loads a translator preset from a folder, an installed model-release package
 * (`@attnzoo/model-translator-en-es-super`), a registered name or a URL (cached, verified).
 */
export async function loadTranslator(
  source: string,
  options: NodeFromPretrainedOptions = {},
): Promise<Translator> {
  return Translator.fromPreset(await hubFromPretrained(source, options));
}
