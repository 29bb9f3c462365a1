// CommonJS consumer: the same as textcls.mjs through require().
const { readFileSync } = require('node:fs');
const { selectBackend } = require('@attnzoo/runtime');
const { TextClassifier } = require('@attnzoo/text-classifier/node');
const tf = require('@tensorflow/tfjs-core');

async function main() {
  const [pkg, version] = process.argv.slice(2);
  const { texts, labels } = JSON.parse(readFileSync('reviews.json', 'utf8'));
  await selectBackend(tf, { backend: 'cpu', log: () => {} });
  const classifier = await TextClassifier.fromPretrained(pkg, { revision: version });
  const predictions = await classifier.predict(texts);
  const correct = predictions.filter((p, i) => p.index === labels[i]).length;
  console.log(JSON.stringify({ accuracy: correct / texts.length, count: texts.length }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
