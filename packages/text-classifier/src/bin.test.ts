import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// tsx is a root devDependency (the workspace's own node_modules/.bin).
const tsx = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');
const bin = join(__dirname, 'bin.ts');
const run = (...args: string[]) => spawnSync(tsx, [bin, ...args], { encoding: 'utf8' });

describe('text-classifier bin', () => {
  it('--help prints the usage and succeeds; an unknown command names itself and exits 2', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: text-classifier <train-tokenizer|');
    const bad = run('trian-release');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown command "trian-release"');
  });
});
