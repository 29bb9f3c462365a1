/** The released presets the playground serves (under presets/<name>/), four attention variants each. */
export const VARIANTS = ['sdpa', 'optimised', 'efficient', 'super'] as const;
export type Variant = (typeof VARIANTS)[number];

export type Demo = 'digits' | 'photos' | 'reviews';

export const FAMILIES: Record<Demo, string> = {
  digits: 'vit-mnist',
  photos: 'vit-cifar10',
  reviews: 'textcls-imdb',
};

export const PRESETS: { name: string; demo: Demo; variant: Variant }[] = (
  Object.entries(FAMILIES) as [Demo, string][]
).flatMap(([demo, family]) => VARIANTS.map((variant) => ({ name: `${family}-${variant}`, demo, variant })));
