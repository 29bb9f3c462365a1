import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// shims: bin.ts finds the wasm binaries next to itself (import.meta.url in CJS too).
export default defineConfig(
  libraryBuild({ index: 'src/index.ts', node: 'src/node.ts', bin: 'src/bin.ts' }, { shims: true }),
);
