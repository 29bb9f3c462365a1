// CommonJS consumer: the same as vit.mjs through require().
const { selectBackend } = require('@attnzoo/runtime');
const { ImageClassifier, loadImageData } = require('@attnzoo/vit/node');
const tf = require('@tensorflow/tfjs-core');

async function main() {
  const [pkg, version, count] = process.argv.slice(2);
  await selectBackend(tf, { backend: 'cpu', log: () => {} });
  const classifier = await ImageClassifier.fromPretrained(pkg, { revision: version });
  const { test } = await loadImageData('mnist', { splits: ['test'] });
  const r = await classifier.evaluate(test, { limit: Number(count) });
  console.log(JSON.stringify({ accuracy: r.accuracy, count: r.count }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
