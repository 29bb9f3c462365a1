import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

export default defineConfig(libraryBuild({ index: 'src/index.ts', bin: 'src/bin.ts' }));
