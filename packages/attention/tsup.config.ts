import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// Splitting: the three entries share one copy of the layers and of the kernels' switches.
export default defineConfig(
  libraryBuild(
    { index: 'src/index.ts', bench: 'src/bench.ts', kernels: 'src/kernels.ts' },
    { splitting: true },
  ),
);
