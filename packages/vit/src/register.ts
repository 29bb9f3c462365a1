import { registerPreset } from '@attnzoo/hub';
import { RELEASE_RECIPES, releasePackageName } from './presets';

// Released presets load by name from their model-release packages (`npm install @attnzoo/model-<name>`).
for (const recipe of Object.values(RELEASE_RECIPES)) {
  if (!recipe.released) continue;
  registerPreset({
    name: recipe.name,
    package: releasePackageName(recipe.name),
    task: 'image-classification',
    description: recipe.description,
  });
}
