// ES-module consumer of the published @attnzoo/vit and a ViT model-release package: loads the
// release pinned to a version, classifies MNIST test images and prints the accuracy as JSON.
// argv: <package> <version range> <first N test images>
import { selectBackend } from '@attnzoo/runtime';
import { ImageClassifier, loadImageData } from '@attnzoo/vit/node';
import * as tf from '@tensorflow/tfjs-core';

const [pkg, version, count] = process.argv.slice(2);
await selectBackend(tf, { backend: 'cpu', log: () => {} });
const classifier = await ImageClassifier.fromPretrained(pkg, { revision: version });
const { test } = await loadImageData('mnist', { splits: ['test'] });
const r = await classifier.evaluate(test, { limit: Number(count) });
const [first] = await classifier.predict({
  data: test.images.subarray(0, 28 * 28),
  width: 28,
  height: 28,
  channels: 1,
});
console.log(
  JSON.stringify({
    accuracy: r.accuracy,
    count: r.count,
    firstLabel: first.label,
    classes: classifier.classNames.length,
  }),
);
