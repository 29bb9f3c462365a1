import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// sentencepiece-js stays external: it is a CommonJS bundle with the wasm inlined.
export default defineConfig(
  libraryBuild(
    { index: 'src/index.ts', node: 'src/node.ts' },
    { external: [/^@attnzoo\//, 'sentencepiece-js'] },
  ),
);
