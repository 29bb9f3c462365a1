import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ATTENTION_VARIANTS, packageOfClassName as attentionPackageOf } from '@attnzoo/attention';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest, type PresetManifest } from './manifest';
import {
  fromPretrained,
  HUB_VERSION,
  loadPresetDir,
  PresetError,
  packageOfClassName,
  presetFiles,
  roundToFloat16,
  save,
  setPresetWeights,
} from './node';
import { metadataFor, predict, tinyEncoder, useCpu } from './testing/models';

let root: string;
beforeAll(async () => {
  await useCpu();
  root = await fs.mkdtemp(join(tmpdir(), 'attnzoo-hub-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await fs.readFile(path, 'utf8')) as T;

/** Rewrites the manifest after a deliberate edit, so only the edit under test is wrong. */
async function remanifest(dir: string): Promise<void> {
  const manifest = await readJson<PresetManifest>(join(dir, 'manifest.json'));
  const files: Record<string, Uint8Array> = {};
  for (const name of Object.keys(manifest.files))
    files[name] = new Uint8Array(await fs.readFile(join(dir, name)));
  await fs.writeFile(join(dir, 'manifest.json'), JSON.stringify(await buildManifest(files)));
}

async function copyDir(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true });
}

async function expectPresetError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PresetError);
  expect((error as PresetError).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('save → fromPretrained round trip', () => {
  it.each(ATTENTION_VARIANTS)('%s attention, float32: identical outputs', async (variant) => {
    const model = tinyEncoder(variant);
    const dir = join(root, `rt-${variant}-f32`);
    const result = await save(model, dir, metadataFor(`tiny-${variant}`), {
      config: { task: { className: 'attnzoo.test.Task', config: { variant } } },
      tokenizer: new Uint8Array([1, 2, 3]),
    });
    expect(result.files).toEqual([
      'README.md',
      'config.json',
      'group1-shard1of1.bin',
      'manifest.json',
      'metadata.json',
      'model.json',
      'tokenizer.model',
    ]);
    const loaded = await fromPretrained(dir);
    expect(loaded.dir).toBe(dir);
    expect(loaded.config).toEqual({
      formatVersion: 1,
      task: { className: 'attnzoo.test.Task', config: { variant } },
    });
    expect(loaded.metadata.parameters?.total).toBe(model.countParams());
    expect(loaded.metadata.tfjsVersion).toBe(tf.version_core);
    expect(loaded.metadata.attnzooVersion).toBe(HUB_VERSION);
    expect(loaded.metadata.weightsDtype).toBe('float32');
    expect([...loaded.files['tokenizer.model']]).toEqual([1, 2, 3]);
    expect(loaded.model.countParams()).toBe(model.countParams());
    expect(await predict(loaded.model)).toEqual(await predict(model));
  });

  it.each(
    ATTENTION_VARIANTS,
  )('%s attention, float16: half the size, outputs within float16 rounding', async (variant) => {
    const model = tinyEncoder(variant);
    const f32 = await save(model, join(root, `f16-ref-${variant}`), metadataFor('ref'));
    const dir = join(root, `rt-${variant}-f16`);
    const f16 = await save(model, dir, metadataFor(`tiny-${variant}`), { float16: true });
    const shard = (r: { dir: string }) => fs.stat(join(r.dir, 'group1-shard1of1.bin')).then((s) => s.size);
    expect(await shard(f16)).toBe((await shard(f32)) / 2);
    const loaded = await fromPretrained(pathToFileURL(dir).href);
    expect(loaded.metadata.weightsDtype).toBe('float16');
    // Every weight is exactly the float16 rounding of the original...
    const original = model.getWeights().map((w) => w.dataSync());
    const back = loaded.model.getWeights().map((w) => w.dataSync());
    expect(back.length).toBe(original.length);
    original.forEach((values, i) => {
      expect(Array.from(back[i])).toEqual(Array.from(values, roundToFloat16));
    });
    // ...so outputs move only by what float16 rounding of the weights explains.
    const a = await predict(model);
    const b = await predict(loaded.model);
    const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(2e-2);
  });

  it('writes the standard tfjs format: plain loadLayersModel reads float16 presets too', async () => {
    const model = tinyEncoder('super');
    const files = await presetFiles(model, metadataFor('std'), { float16: true, shardBytes: 1000 });
    const json = JSON.parse(new TextDecoder().decode(files['model.json']));
    const paths: string[] = json.weightsManifest[0].paths;
    expect(paths.length).toBeGreaterThan(1);
    expect(json.weightsManifest[0].weights[0].quantization).toEqual({ dtype: 'float16' });
    const shards = paths.map((p) => files[p]);
    const weightData = tf.io.CompositeArrayBuffer.join(shards.map((s) => s.slice().buffer));
    const plain = await loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData,
      }),
    );
    const ours = await fromPretrained(
      await (async () => {
        const dir = join(root, 'std');
        await save(model, dir, metadataFor('std'), { float16: true, shardBytes: 1000 });
        return dir;
      })(),
    );
    expect(await predict(plain)).toEqual(await predict(ours.model));
  });

  it('writes a model card with front matter, metrics and the reproduce command', async () => {
    const dir = join(root, 'rt-sdpa-f32');
    const card = await fs.readFile(join(dir, 'README.md'), 'utf8');
    expect(card.startsWith('---\nlibrary_name: attnzoo\n')).toBe(true);
    expect(card).toContain('datasets:\n- "toy"');
    expect(card).toContain('    - type: "accuracy"\n      name: "accuracy"\n      value: 0.5');
    expect(card).toContain('      command: "pnpm attnzoo eval toy"');
    expect(card).toContain('| accuracy | test | 0.5 | `pnpm attnzoo eval toy` |');
    expect(card).toContain('- Attention: 64');
    expect(card).toContain('```sh\npnpm attnzoo train toy\n```');
  });

  it('the local class-name → package rule agrees with @attnzoo/attention', () => {
    for (const name of ['attnzoo.attention.MultiHeadAttention', 'attnzoo.text-classifier.Head', 'Dense']) {
      expect(packageOfClassName(name)).toBe(attentionPackageOf(name));
    }
  });

  it('HUB_VERSION matches package.json', async () => {
    const pkg = await readJson<{ version: string }>(join(__dirname, '..', 'package.json'));
    expect(HUB_VERSION).toBe(pkg.version);
  });
});

describe('bad presets are refused with a clear error, nothing built', () => {
  let good: string;
  beforeAll(async () => {
    good = join(root, 'good');
    await save(tinyEncoder('optimised'), good, metadataFor('good'));
  });

  async function variantOf(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(root, name);
    await copyDir(good, dir);
    await edit(dir);
    return dir;
  }

  it('a missing file', async () => {
    const dir = await variantOf('missing', (d) => fs.rm(join(d, 'metadata.json')));
    await expectPresetError(
      fromPretrained(dir),
      'missing-file',
      /is missing metadata\.json \(listed in manifest\.json\)/,
    );
  });

  it('a folder without manifest', async () => {
    const dir = await variantOf('nomanifest', (d) => fs.rm(join(d, 'manifest.json')));
    await expectPresetError(fromPretrained(dir), 'missing-file', /has no manifest\.json/);
  });

  it('a checksum mismatch (one flipped byte)', async () => {
    const dir = await variantOf('corrupt', async (d) => {
      const path = join(d, 'group1-shard1of1.bin');
      const bytes = await fs.readFile(path);
      bytes[17] ^= 0x01;
      await fs.writeFile(path, bytes);
    });
    const before = tf.memory().numTensors;
    await expectPresetError(fromPretrained(dir), 'checksum', /Checksum mismatch for group1-shard1of1\.bin/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a truncated shard (manifest says more)', async () => {
    const dir = await variantOf('truncated', async (d) => {
      const path = join(d, 'group1-shard1of1.bin');
      await fs.truncate(path, (await fs.stat(path)).size - 100);
    });
    await expectPresetError(fromPretrained(dir), 'truncated', /group1-shard1of1\.bin .* is truncated/);
  });

  it('a truncated shard even with a matching manifest', async () => {
    const dir = await variantOf('truncated2', async (d) => {
      const path = join(d, 'group1-shard1of1.bin');
      await fs.truncate(path, (await fs.stat(path)).size - 100);
      await remanifest(d);
    });
    const before = tf.memory().numTensors;
    await expectPresetError(
      fromPretrained(dir),
      'truncated',
      /model\.json of .* declares \d+ bytes of weights \(the largest, .*\) but the shards hold \d+ bytes: the files are truncated or corrupt; fetch or save the preset again/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an unknown class name says which package to import', async () => {
    const dir = await variantOf('unknown-class', async (d) => {
      const path = join(d, 'model.json');
      const text = await fs.readFile(path, 'utf8');
      await fs.writeFile(
        path,
        text.replaceAll('attnzoo.attention.SequencePooling', 'attnzoo.vit.FancyPooling'),
      );
      await remanifest(d);
    });
    await expectPresetError(
      fromPretrained(dir),
      'unknown-class',
      /unknown class name attnzoo\.vit\.FancyPooling: import '@attnzoo\/vit'/,
    );
  });

  it('an incompatible format version', async () => {
    const dir = await variantOf('future', async (d) => {
      await fs.writeFile(join(d, 'config.json'), JSON.stringify({ formatVersion: 2 }));
      await remanifest(d);
    });
    await expectPresetError(
      fromPretrained(dir),
      'format-version',
      /format version 2.*reads up to version 1: upgrade/,
    );
  });

  it('a weight shape mismatch names the layer and both shapes', async () => {
    const wide = join(root, 'wide');
    await save(tinyEncoder('optimised', 16), wide, metadataFor('wide'));
    const dir = await variantOf('shape', async (d) => {
      // The wide model's architecture with the narrow model's weights.
      const json = await readJson<{ modelTopology: unknown }>(join(d, 'model.json'));
      json.modelTopology = (
        await readJson<{ modelTopology: unknown }>(join(wide, 'model.json'))
      ).modelTopology;
      await fs.writeFile(join(d, 'model.json'), JSON.stringify(json));
      await remanifest(d);
    });
    const before = tf.memory().numTensors;
    await expectPresetError(
      fromPretrained(dir),
      'shape-mismatch',
      /Weights for layer 'embed' \('embed\/\w+'\) have shape \[20,8\] in the preset but the model expects \[20,16\]: the preset was saved from a different configuration/,
    );
    expect(tf.memory().numTensors).toBe(before);
    // The same check guards weights loaded into a model the caller built.
    const files = (await loadPresetDir(good)).files;
    const wideModel = tinyEncoder('optimised', 16);
    const weightsBefore = wideModel.getWeights().map((w) => w.dataSync().slice());
    await expectPresetError(setPresetWeights(wideModel, files), 'shape-mismatch', /expects \[20,16\]/);
    wideModel.getWeights().forEach((w, i) => {
      expect(w.dataSync()).toEqual(weightsBefore[i]);
    });
    // And loads them when the configuration matches.
    const same = tinyEncoder('optimised');
    await setPresetWeights(same, files);
    expect(await predict(same)).toEqual(await predict((await loadPresetDir(good)).model));
  });

  it.each([
    ['../outside.bin', 'a parent path'],
    ['/etc/passwd', 'an absolute path'],
    ['sub/../../x', 'a path that climbs out'],
    ['C:/x.bin', 'a drive letter'],
  ])('a manifest entry %s (%s)', async (name) => {
    const dir = await variantOf(`unsafe-${Math.random().toString(36).slice(2)}`, async (d) => {
      const manifest = await readJson<PresetManifest>(join(d, 'manifest.json'));
      manifest.files[name] = { sha256: '0'.repeat(64), size: 1 };
      await fs.writeFile(join(d, 'manifest.json'), JSON.stringify(manifest));
    });
    await expectPresetError(fromPretrained(dir), 'unsafe-path', /points outside the preset folder/);
  });

  it('a shard path in model.json that leaves the folder', async () => {
    const dir = await variantOf('unsafe-shard', async (d) => {
      const json = await readJson<{ weightsManifest: { paths: string[] }[] }>(join(d, 'model.json'));
      json.weightsManifest[0].paths = ['../good/group1-shard1of1.bin'];
      await fs.writeFile(join(d, 'model.json'), JSON.stringify(json));
      await remanifest(d);
    });
    await expectPresetError(
      fromPretrained(dir),
      'unsafe-path',
      /model\.json .*points outside the preset folder/,
    );
  });

  it('a symlink in the folder that points outside it', async () => {
    const outside = join(root, 'outside-readme.md');
    await fs.writeFile(outside, 'hello');
    const dir = await variantOf('symlink', async (d) => {
      await fs.rm(join(d, 'README.md'));
      await fs.symlink(outside, join(d, 'README.md'));
      await remanifest(d);
    });
    await expectPresetError(fromPretrained(dir), 'unsafe-path', /link to a file outside the preset folder/);
  });
});

describe('atomic saves', () => {
  it('refuses to replace an existing folder unless asked, leaving it untouched', async () => {
    const dir = join(root, 'atomic');
    const model = tinyEncoder('sdpa');
    await save(model, dir, metadataFor('first'));
    const before = await fs.readFile(join(dir, 'metadata.json'), 'utf8');
    await expectPresetError(
      save(model, dir, metadataFor('second')),
      'exists',
      /already exists: pass \{ overwrite: true \}/,
    );
    expect(await fs.readFile(join(dir, 'metadata.json'), 'utf8')).toBe(before);
    await save(tinyEncoder('super'), dir, metadataFor('second'), { overwrite: true });
    expect((await fromPretrained(dir)).metadata.name).toBe('second');
    const leftovers = (await fs.readdir(root)).filter((n) => n.startsWith('.atomic'));
    expect(leftovers).toEqual([]);
  });

  it('a save that fails half-way leaves no folder and no temporary files', async () => {
    const dir = join(root, 'half');
    // A file whose parent is another file cannot be created: the write fails after others succeeded.
    await expectPresetError(
      save(tinyEncoder('sdpa'), dir, metadataFor('half'), {
        extraFiles: { 'notes.txt': 'a', 'notes.txt/inner.txt': 'b' },
      }).catch((e: NodeJS.ErrnoException) => {
        throw new PresetError('invalid', e.message);
      }),
      'invalid',
      /ENOTDIR|EEXIST/,
    );
    expect((await fs.readdir(root)).filter((n) => n.includes('half'))).toEqual([]);
  });

  it('rejects extra files that would land outside the folder before writing anything', async () => {
    const dir = join(root, 'evil');
    await expectPresetError(
      save(tinyEncoder('sdpa'), dir, metadataFor('evil'), { extraFiles: { '../evil.txt': 'x' } }),
      'unsafe-path',
      /outside the preset folder/,
    );
    expect((await fs.readdir(root)).filter((n) => n.includes('evil'))).toEqual([]);
  });
});
