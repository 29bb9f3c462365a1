import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'attention', testTimeout: 120_000 } });
