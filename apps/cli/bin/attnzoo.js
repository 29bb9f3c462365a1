#!/usr/bin/env node
// The installed `attnzoo` command. It runs the build in dist/ and exists before it, so that
// package managers can link the command when the package is installed from source.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('attnzoo: dist/bin.js is missing; build the package first (pnpm build).');
  process.exit(1);
}
await import(entry.href);
