// The same through CommonJS resolution (require condition, .d.cts declarations).
import vit = require('@attnzoo/vit/node');

export async function classes(pkg: string): Promise<readonly string[]> {
  const classifier = await vit.ImageClassifier.fromPretrained(pkg);
  return classifier.classNames;
}
