import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

export default defineConfig(libraryBuild({ index: 'src/index.ts', 'bench/cli': 'src/bench/cli.ts' }));
