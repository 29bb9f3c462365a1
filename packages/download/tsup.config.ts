import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// browser: browser-safe (hub's browser loader checks URLs with it); index: Node only.
export default defineConfig(libraryBuild({ index: 'src/index.ts', browser: 'src/browser.ts' }));
