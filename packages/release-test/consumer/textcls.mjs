// ES-module consumer of the published @attnzoo/text-classifier and a model-release package:
// loads the release pinned to a version, classifies the reviews of reviews.json (texts and
// labels written by the test) and prints the accuracy as JSON.
// argv: <package> <version range>
import { readFileSync } from 'node:fs';
import { selectBackend } from '@attnzoo/runtime';
import { TextClassifier } from '@attnzoo/text-classifier/node';
import * as tf from '@tensorflow/tfjs-core';

const [pkg, version] = process.argv.slice(2);
const { texts, labels } = JSON.parse(readFileSync('reviews.json', 'utf8'));
await selectBackend(tf, { backend: 'cpu', log: () => {} });
const classifier = await TextClassifier.fromPretrained(pkg, { revision: version });
const predictions = await classifier.predict(texts);
const correct = predictions.filter((p, i) => p.index === labels[i]).length;
console.log(
  JSON.stringify({ accuracy: correct / texts.length, count: texts.length, first: predictions[0].label }),
);
