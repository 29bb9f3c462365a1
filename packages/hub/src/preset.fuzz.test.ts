import { join } from 'node:path';
import { corpus, expectCleanFailure, fuzz, mutated } from '@attnzoo/fixtures/fuzz';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { PresetError } from './errors';
import { buildManifest, MANIFEST_FILE, utf8 } from './manifest';
import { loadPresetFiles, MODEL_FILE, presetFiles } from './preset';
import { metadataFor, tinyEncoder, useCpu } from './testing/models';

const CORPUS = join(__dirname, '../fuzz-corpus');
const WHERE = 'fuzz-preset';
const isPresetError = (e: unknown) => e instanceof PresetError;
type Files = Record<string, Uint8Array>;

let good: Files;
beforeAll(async () => {
  await useCpu();
  const model = tinyEncoder('sdpa', 4);
  good = await presetFiles(model, metadataFor('fuzz'), { shardBytes: 700 });
  model.dispose();
});

/** A preset whose author is hostile: the manifest is rewritten to match whatever the files now hold. */
async function remanifest(files: Files): Promise<Files> {
  const { [MANIFEST_FILE]: _, ...rest } = files;
  return { ...rest, [MANIFEST_FILE]: utf8(JSON.stringify(await buildManifest(rest))) };
}

// Values a hostile model.json may put where a weight spec expects something sane.
const oddValue = fc.constantFrom<unknown>(
  null,
  -1,
  1e300,
  2 ** 53,
  '12',
  [],
  {},
  [2 ** 31, 2 ** 31],
  [-4, -4],
  [1e9, 1e9, 1e9],
  ['a'],
  [0.5],
  '../../outside.bin',
  'float64',
  { dtype: 'int8' },
);
const specKey = fc.constantFrom('name', 'shape', 'dtype', 'quantization', 'group', 'paths', 'weights');

/** model.json with one weight spec, shard list or group replaced by an odd value. */
function oddModelJson(files: Files, at: number, key: string, value: unknown): Files {
  const json = JSON.parse(new TextDecoder().decode(files[MODEL_FILE]));
  const group = json.weightsManifest[0];
  if (key === 'group') json.weightsManifest[at % 2] = value;
  else if (key === 'paths') group.paths = at % 2 ? value : [value, ...group.paths.slice(1)];
  else if (key === 'weights') group.weights = at % 2 ? value : [value, ...group.weights.slice(1)];
  else group.weights[at % group.weights.length][key] = value;
  return { ...files, [MODEL_FILE]: utf8(JSON.stringify(json)) };
}

// Byte edits of one file (the manifest rewritten or not), and structural edits of model.json.
const hostilePreset = fc.oneof(
  fc.tuple(fc.nat(), fc.boolean(), fc.nat()).chain(([pick, rewrite]) => {
    const names = Object.keys(good).sort();
    const name = names[pick % names.length];
    return mutated([good[name]]).map((bytes) => ({ files: { ...good, [name]: bytes }, rewrite }));
  }),
  fc.tuple(fc.nat(), specKey, oddValue).map(([at, key, value]) => ({
    files: oddModelJson(good, at, key, value),
    rewrite: true,
  })),
);

// tfjs-layers allocates every layer's weights while it builds the model, before the weights can be
// checked, so a topology asking for huge layers is out of scope here (SECURITY.md says so); byte
// edits that produce one are set aside.
function plausibleTopology(files: Files): boolean {
  let topology: unknown;
  try {
    topology = JSON.parse(new TextDecoder().decode(files[MODEL_FILE])).modelTopology;
  } catch {
    return true;
  }
  const small = (v: unknown): boolean =>
    typeof v === 'number'
      ? v <= 4096
      : Array.isArray(v)
        ? v.every(small)
        : typeof v === 'object' && v !== null
          ? Object.values(v).every(small)
          : true;
  return small(topology);
}

describe('presets: hostile files end in a PresetError naming the preset, no tensor left behind', () => {
  it('loadPresetFiles', async () => {
    const r = await fuzz(
      'preset',
      hostilePreset,
      async ({ files, rewrite }) => {
        const input = rewrite ? await remanifest(files) : files;
        if (!plausibleTopology(input)) return;
        const before = tf.memory().numTensors;
        await expectCleanFailure(
          async () => (await loadPresetFiles(input, WHERE)).model.dispose(),
          isPresetError,
          WHERE,
        );
        expect(tf.memory().numTensors).toBe(before);
      },
      { numRuns: 1200, timeMs: 4000 },
    );
    expect(r.inputs).toBeGreaterThan(30);
  });

  it('regression: one-byte edits of the topology that hung the loader or left weights behind', async () => {
    const edits: [string, string, RegExp][] = [
      // An inbound layer that does not exist: tfjs-layers waited for it forever.
      [
        '[["block0_ffn_inner",0,0,{}]]',
        '[["block0_&fn_inner",0,0,{}]]',
        /"block0_&fn_inner", which is not a layer/,
      ],
      // A config name unlike the layer's: tfjs built an orphan layer and kept its weights.
      [
        '"config":{"name":"block0_attention"',
        '"config":{"name":"b,ock0_attention"',
        /"b,ock0_attention", which is not a layer/,
      ],
      // A config key tfjs does not know: the layer failed part-way through building, weights kept.
      ['"use_key_padding_mask"', '"use_ke\u007f_padding_mask"', /./],
    ];
    for (const [from, to, message] of edits) {
      const text = new TextDecoder().decode(good[MODEL_FILE]);
      expect(text).toContain(from);
      const files = await remanifest({ ...good, [MODEL_FILE]: utf8(text.replace(from, to)) });
      const before = tf.memory().numTensors;
      const e = await expectCleanFailure(() => loadPresetFiles(files, WHERE), isPresetError, WHERE);
      expect(e).toBeInstanceOf(PresetError);
      expect((e as Error).message).toMatch(message);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('regression corpus: model.json edits that once escaped as TypeErrors or unnamed errors', async () => {
    const inputs = corpus(CORPUS, 'model-json');
    expect(inputs.length).toBeGreaterThan(0);
    for (const { bytes } of inputs) {
      const { at, key, value } = JSON.parse(new TextDecoder().decode(bytes));
      const files = await remanifest(oddModelJson(good, at, key, value));
      const e = await expectCleanFailure(() => loadPresetFiles(files, WHERE), isPresetError, WHERE);
      expect(e).toBeInstanceOf(PresetError);
    }
  });
});
