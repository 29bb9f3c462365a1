import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fromPretrained,
  getPreset,
  listPresets,
  PresetError,
  packagePresetDir,
  registerPreset,
  save,
  unregisterPreset,
} from './node';
import { isVersionRange, satisfiesVersion } from './semver';
import { metadataFor, predict, tinyEncoder, useCpu } from './testing/models';

const PKG = '@attnzoo-test/model-tiny';
let project: string;
let reference: Float32Array;

beforeAll(async () => {
  await useCpu();
  // A project folder with a model-release package installed in node_modules.
  project = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-pkg-'));
  const pkgDir = join(project, 'node_modules', ...PKG.split('/'));
  await fs.mkdir(pkgDir, { recursive: true });
  await fs.writeFile(
    join(pkgDir, 'package.json'),
    JSON.stringify({ name: PKG, version: '1.2.3', files: ['preset'] }),
  );
  const model = tinyEncoder('efficient');
  await save(model, join(pkgDir, 'preset'), metadataFor('tiny-pkg'));
  reference = await predict(model);
  registerPreset({ name: 'tiny-pkg', package: PKG, task: 'text-classification' });
});

afterAll(async () => {
  unregisterPreset('tiny-pkg');
  await fs.rm(project, { recursive: true, force: true });
});

async function caught(promise: Promise<unknown>): Promise<PresetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PresetError);
  return error as PresetError;
}

describe('model-release packages', () => {
  it('loads by package name and by registered preset name, from a nested folder of the project', async () => {
    const nested = join(project, 'src', 'deep');
    await fs.mkdir(nested, { recursive: true });
    const byPackage = await fromPretrained(PKG, { resolveFrom: nested });
    expect(byPackage.source).toBe(`${PKG}@1.2.3`);
    expect(byPackage.dir).toBe(join(project, 'node_modules', '@attnzoo-test', 'model-tiny', 'preset'));
    expect(await predict(byPackage.model)).toEqual(reference);
    const byName = await fromPretrained('tiny-pkg', { resolveFrom: project });
    expect(await predict(byName.model)).toEqual(reference);
  });

  it('checks the installed version against the requested one', async () => {
    expect((await fromPretrained(PKG, { resolveFrom: project, version: '^1.0.0' })).metadata.name).toBe(
      'tiny-pkg',
    );
    expect((await fromPretrained('tiny-pkg', { resolveFrom: project, version: '1.2.3' })).metadata.name).toBe(
      'tiny-pkg',
    );
    const error = await caught(fromPretrained(PKG, { resolveFrom: project, version: '^2.0.0' }));
    expect(error.code).toBe('version');
    expect(error.message).toMatch(
      /@attnzoo-test\/model-tiny 1\.2\.3 is installed .* but version \^2\.0\.0 was requested: run npm install @attnzoo-test\/model-tiny@\^2\.0\.0/,
    );
  });

  it('a registered preset whose package is missing (and has no URL) says what to install', async () => {
    registerPreset({ name: 'not-installed', package: '@attnzoo-test/model-absent' });
    try {
      const error = await caught(fromPretrained('not-installed', { resolveFrom: project }));
      expect(error.code).toBe('not-found');
      expect(error.message).toMatch(/npm install @attnzoo-test\/model-absent/);
    } finally {
      unregisterPreset('not-installed');
    }
  });

  it('an unknown source lists what it tried', async () => {
    const error = await caught(fromPretrained('no-such-preset', { resolveFrom: project }));
    expect(error.code).toBe('not-found');
    expect(error.message).toMatch(/not a folder, not a registered preset name \(registered: .*tiny-pkg.*\)/);
  });

  it('finds the packages installed beside the running program, from any working folder', async () => {
    // A program in <project>/bin (like the attnzoo CLI beside its release packages), run elsewhere.
    const elsewhere = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-cwd-'));
    const argv1 = process.argv[1];
    try {
      expect(await packagePresetDir(PKG, { resolveFrom: elsewhere })).toBeUndefined();
      process.argv[1] = join(project, 'bin', 'attnzoo.js');
      expect((await packagePresetDir(PKG, { resolveFrom: elsewhere }))?.version).toBe('1.2.3');
    } finally {
      process.argv[1] = argv1;
      await fs.rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('finds nothing for a package that is not installed', async () => {
    expect(await packagePresetDir('@attnzoo-test/model-absent', { resolveFrom: project })).toBeUndefined();
  });
});

describe('the preset registry', () => {
  it('registers, lists and refuses conflicting entries', () => {
    registerPreset({ name: 'reg-a', url: 'https://example.invalid/a/' });
    registerPreset({ name: 'reg-a', url: 'https://example.invalid/a/' }); // same entry twice: fine
    try {
      expect(getPreset('reg-a')?.url).toBe('https://example.invalid/a/');
      expect(listPresets().map((e) => e.name)).toContain('reg-a');
      expect(() => registerPreset({ name: 'reg-a', url: 'https://example.invalid/b/' })).toThrow(
        /already registered/,
      );
      expect(() => registerPreset({ name: 'reg-b' })).toThrow(/needs a package or a url/);
      expect(() => registerPreset({ name: '../x', url: 'https://example.invalid/' })).toThrow(/not valid/);
    } finally {
      unregisterPreset('reg-a');
    }
  });
});

describe('version ranges', () => {
  it.each([
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '1.2.3', false],
    ['1.9.0', '^1.2.3', true],
    ['2.0.0', '^1.2.3', false],
    ['1.2.2', '^1.2.3', false],
    ['0.2.9', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['0.0.4', '^0.0.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['3.0.0', '>=1.2.3', true],
    ['1.0.0', '>=1.2.3', false],
    ['1.2.3-beta.1', '^1.2.0', false],
    ['1.2.3-beta.1', '1.2.3-beta.1', true],
    ['5.0.0', '*', true],
  ])('%s satisfies %s: %s', (version, range, expected) => {
    expect(satisfiesVersion(version, range)).toBe(expected);
  });

  it('rejects ranges it cannot read', () => {
    expect(isVersionRange('^1.2.3')).toBe(true);
    expect(isVersionRange('1.x || 2')).toBe(false);
    expect(() => satisfiesVersion('1.0.0', '1.x || 2')).toThrow(/Cannot read the version range/);
  });
});
