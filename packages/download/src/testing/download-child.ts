// Child process for the concurrent-download test: downloads argv[2] (checked against the sha256
// argv[4]) to argv[3] after sweeping that folder's dead partial files; prints "DOWNLOADING" when the
// first bytes arrive (the test may kill it then) and "DONE <path>" at the end.
import { dirname } from 'node:path';
import { downloadVerified } from '../download';
import { sweepDeadPartials } from '../partial-files';

const [url, dest, sha256] = process.argv.slice(2);
let told = false;
await sweepDeadPartials(dirname(dest));
await downloadVerified({
  urls: [url],
  dest,
  sha256,
  onProgress: (p) => {
    if (!told && p.received > 0) {
      told = true;
      process.stdout.write('DOWNLOADING\n');
    }
  },
});
process.stdout.write(`DONE ${dest}\n`);
