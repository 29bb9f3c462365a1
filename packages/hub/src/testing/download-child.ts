// Child process for the concurrent-download test: downloads the preset at argv[2] into the cache
// argv[3], prints "DOWNLOADING" when the first weight bytes arrive (the test may kill it then) and
// "DONE <folder>" at the end.
import { downloadPreset } from '../node';

const [base, cacheDir] = process.argv.slice(2);
let told = false;
const folder = await downloadPreset(base, {
  cacheDir,
  progress: (e) => {
    if (!told && e.phase === 'download' && e.file.endsWith('.bin')) {
      told = true;
      process.stdout.write('DOWNLOADING\n');
    }
  },
});
process.stdout.write(`DONE ${folder}\n`);
