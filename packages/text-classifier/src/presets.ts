import { registerPreset } from '@attnzoo/hub';
import { RELEASE_RECIPES } from './recipes';

// Each release is an npm package @attnzoo/model-<name> holding the preset in preset/, so
// `TextClassifier.fromPretrained('textcls-imdb-super')` finds it once installed.
for (const r of Object.values(RELEASE_RECIPES)) {
  registerPreset({
    name: r.name,
    package: `@attnzoo/model-${r.name}`,
    task: 'text-classification',
    description: `${r.dataset} sentiment, ${r.variant} attention`,
  });
}
