import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// url: browser-safe (hub's browser loader checks URLs with it); index: Node only.
export default defineConfig(libraryBuild({ index: 'src/index.ts', url: 'src/url.ts' }));
