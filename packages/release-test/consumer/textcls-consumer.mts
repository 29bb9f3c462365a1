// Type-checked (tsc, module nodenext) against the published declarations of @attnzoo/text-classifier.
import { TextClassifier } from '@attnzoo/text-classifier/node';

export async function sentiment(pkg: string, text: string): Promise<{ label: string; probability: number }> {
  const classifier: TextClassifier = await TextClassifier.fromPretrained(pkg, { revision: '^0.1.0' });
  const [p] = await classifier.predict(text);
  const truncated: boolean = p.truncated;
  classifier.dispose();
  return { label: truncated ? `${p.label} (truncated)` : p.label, probability: p.probability };
}
