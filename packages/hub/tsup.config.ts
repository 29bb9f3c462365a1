import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// shims: node.ts finds installed packages relative to this file (import.meta.url in CJS too).
export default defineConfig(libraryBuild({ index: 'src/index.ts', node: 'src/node.ts' }, { shims: true }));
