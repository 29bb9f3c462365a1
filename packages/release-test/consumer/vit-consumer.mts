// Type-checked (tsc, module nodenext) against the published declarations of @attnzoo/vit.
import { type ImageClassifier as Classifier, ImageClassifier, loadImageData } from '@attnzoo/vit/node';

export async function accuracyOf(pkg: string, version: string): Promise<number> {
  const classifier: Classifier = await ImageClassifier.fromPretrained(pkg, { revision: version });
  const { test } = await loadImageData('mnist', { splits: ['test'], testLimit: 100 });
  if (!test) throw new Error('no test split');
  const r: { accuracy: number; count: number } = await classifier.evaluate(test, { limit: 100 });
  const labels: string[] = (await classifier.predict([])).map((p) => p.label);
  classifier.dispose();
  return r.accuracy + labels.length;
}
