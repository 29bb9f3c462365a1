#!/usr/bin/env node
/**
 * Release scripts of @attnzoo/text-classifier (also bundled for the GPU machine as
 * .device/app/text-classifier.mjs):
 *
 *   train-tokenizer --data <imdb|amazon tar.gz> --out <dir> [--vocab 8000]
 *   pretokenize --data <tar.gz> --tokenizer <model> --max-length L --out <file.bin[.gz]> [--add-bos] [--polarity <ft.txt.gz>]
 *   train-release <preset> --data <tar.gz|file.bin[.gz]> [--tokenizer <model>] --out <path> [--epochs N] [--budget-minutes M]
 *                 [--backend auto|webgpu|wasm|cpu|tensorflow] [--train-limit N] [--eval-limit N] [--summary file.json]
 *   unpack <release.tar> --into models/ [--overwrite]
 *   finetune --from <preset|folder|release.tar> --data <tar.gz|file.bin[.gz]> [--epochs 1] [--lr 3e-4] [--batch-size 32] [--out <dir|path.tar>]
 *            [--backend ...] [--train-limit N] [--eval-limit N] [--summary file.json]
 *   evaluate --from <preset|folder> --data <tar.gz|file.bin[.gz]> [--split test] [--eval-limit N] [--backend ...]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { save } from '@attnzoo/hub/node';
import { selectBackend } from '@attnzoo/runtime';
import * as tf from '@tensorflow/tfjs-core';
import { TextClassifier } from './classifier';
import { spreadLimit } from './data';
import {
  hardwareDescription,
  loadTrainingData,
  packRelease,
  presetDirOf,
  pretokenize,
  trainRelease,
  trainReleaseTokenizer,
  unpackRelease,
} from './node';
import { RELEASE_RECIPES } from './recipes';

type Args = { _: string[]; [k: string]: string | boolean | string[] };

function parseArgs(argv: string[]): Args {
  const out: Args = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) out[key] = true;
      else {
        out[key] = next;
        i++;
      }
    } else out._.push(a);
  }
  return out;
}

function str(a: Args, k: string, required = true): string | undefined {
  const v = a[k];
  if (typeof v === 'string') return v;
  if (required) throw new Error(`missing --${k}`);
  return undefined;
}
function int(a: Args, k: string): number | undefined {
  const v = str(a, k, false);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${k} must be a positive integer, got ${v}`);
  return n;
}

function positive(a: Args, k: string): number | undefined {
  const v = str(a, k, false);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new Error(`--${k} must be a positive number, got ${v}`);
  return n;
}

/** Backends the bundle can load: string-literal imports, so esbuild includes them. */
const BACKEND_MODULES: Record<string, () => Promise<unknown>> = {
  '@tensorflow/tfjs-backend-cpu': () => import('@tensorflow/tfjs-backend-cpu'),
  '@tensorflow/tfjs-backend-wasm': async () => {
    // In the device bundle (an ES module) the .wasm files sit next to this script, and the
    // backend's emscripten code reads `__dirname`, which ES modules lack.
    const here = dirname(fileURLToPath(import.meta.url));
    const g = globalThis as { __dirname?: string };
    if (typeof __dirname === 'undefined' && g.__dirname === undefined) g.__dirname = here;
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (existsSync(join(here, 'tfjs-backend-wasm.wasm'))) wasm.setWasmPaths(`${here}/`);
    return wasm;
  },
};

async function backend(a: Args): Promise<{ name: string; hardware: string }> {
  const choice = await selectBackend(tf, {
    backend: str(a, 'backend', false),
    importModule: (name) => (BACKEND_MODULES[name] ?? (() => import(/* @vite-ignore */ name)))(),
  });
  const ad = choice.webgpuAdapter;
  const adapter = ad
    ? `WebGPU ${ad.software ? 'software ' : ''}adapter ${ad.description || [ad.vendor, ad.architecture, ad.device].filter(Boolean).join(' ')}`
    : undefined;
  return { name: choice.backend, hardware: hardwareDescription(adapter) };
}

function commandLine(): string {
  return ['text-classifier', ...process.argv.slice(2)].join(' ');
}

async function loadClassifier(from: string): Promise<{ clf: TextClassifier; cleanup: () => Promise<void> }> {
  if (from.endsWith('.tar')) {
    const tmp = await mkdtemp(join(tmpdir(), 'attnzoo-from-'));
    const dir = await unpackRelease(from, tmp);
    const clf = await TextClassifier.fromPretrained(presetDirOf(dir));
    return { clf, cleanup: () => rm(tmp, { recursive: true, force: true }) };
  }
  const source = existsSync(from) ? presetDirOf(from) : from;
  return { clf: await TextClassifier.fromPretrained(source), cleanup: async () => {} };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const cmd = a._[0];
  const log = (l: string) => console.error(l);
  switch (cmd) {
    case 'train-tokenizer': {
      const path = await trainReleaseTokenizer({
        data: str(a, 'data')!,
        out: str(a, 'out')!,
        vocab: int(a, 'vocab'),
      });
      console.log(path);
      return;
    }
    case 'pretokenize': {
      const r = await pretokenize({
        data: str(a, 'data')!,
        tokenizer: str(a, 'tokenizer')!,
        maxLength: int(a, 'max-length') ?? 256,
        out: str(a, 'out')!,
        addBos: a['add-bos'] === true,
        polarity: str(a, 'polarity', false),
      });
      console.log(
        JSON.stringify({
          out: r.out,
          bytes: r.bytes,
          splits: r.header.splits.map((s) => ({ name: s.name, count: s.count })),
        }),
      );
      return;
    }
    case 'train-release': {
      const preset = a._[1];
      if (!preset)
        throw new Error(`train-release needs a preset name: ${Object.keys(RELEASE_RECIPES).join(', ')}`);
      const b = await backend(a);
      const summary = await trainRelease({
        preset,
        data: str(a, 'data')!,
        tokenizer: str(a, 'tokenizer', false),
        out: str(a, 'out')!,
        epochs: int(a, 'epochs'),
        budgetMinutes: positive(a, 'budget-minutes'),
        trainLimit: int(a, 'train-limit'),
        evalLimit: int(a, 'eval-limit'),
        backend: b.name,
        hardware: b.hardware,
        command: commandLine(),
        log,
      });
      const s = str(a, 'summary', false);
      if (s) writeFileSync(s, `${JSON.stringify(summary, null, 2)}\n`);
      console.log(JSON.stringify({ ...summary, history: undefined }));
      return;
    }
    case 'unpack': {
      const tar = a._[1];
      if (!tar) throw new Error('unpack needs a release .tar');
      console.log(await unpackRelease(tar, str(a, 'into')!, { overwrite: a.overwrite === true }));
      return;
    }
    case 'evaluate':
    case 'finetune': {
      const b = await backend(a);
      const { clf, cleanup } = await loadClassifier(str(a, 'from')!);
      try {
        const data = await loadTrainingData(str(a, 'data')!, {
          preprocessor: clf.config.preprocessor,
          tokenizerBytes: clf.tokenizer.bytes,
        });
        const evalLimit = int(a, 'eval-limit');
        const split = str(a, 'split', false) ?? 'test';
        const before = await clf.evaluate(data.splits[split], { limit: evalLimit });
        log(
          `${cmd === 'finetune' ? 'before: ' : ''}${split} accuracy ${(100 * before.accuracy).toFixed(2)} % on ${before.count}`,
        );
        if (cmd === 'evaluate') {
          console.log(JSON.stringify({ split, ...before, backend: b.name }));
          return;
        }
        const t0 = performance.now();
        // Defaults per preset (the recipe's fine-tuning settings), else the generic ones.
        const ft = RELEASE_RECIPES[clf.metadata?.name ?? '']?.finetune ?? {
          epochs: 1,
          batchSize: 32,
          peakLr: 3e-4,
        };
        const epochs = int(a, 'epochs') ?? ft.epochs;
        const r = await clf.fit({
          train: data.splits.train,
          validation: data.splits.validation && spreadLimit(data.splits.validation, evalLimit),
          epochs,
          batchSize: int(a, 'batch-size') ?? ft.batchSize,
          peakLr: str(a, 'lr', false) !== undefined ? Number(str(a, 'lr')) : ft.peakLr,
          trainLimit: int(a, 'train-limit'),
          callbacks: [{ onEpochEnd: (l) => log(`epoch ${l.epoch + 1}: loss ${l.loss.toFixed(4)}`) }],
        });
        const seconds = (performance.now() - t0) / 1000;
        const after = await clf.evaluate(data.splits[split], { limit: evalLimit });
        const extra: Record<string, number> = {};
        if (data.splits['polarity-test']) {
          extra.polarityAccuracy = (
            await clf.evaluate(data.splits['polarity-test'], { limit: evalLimit })
          ).accuracy;
        }
        const result = {
          from: str(a, 'from'),
          data: data.dataset,
          split,
          count: after.count,
          before: before.accuracy,
          after: after.accuracy,
          ...extra,
          epochs: r.epochs,
          seconds,
          backend: b.name,
          hardware: b.hardware,
          command: commandLine(),
        };
        log(`after:  ${split} accuracy ${(100 * after.accuracy).toFixed(2)} % (${seconds.toFixed(1)} s)`);
        const out = str(a, 'out', false);
        if (out) {
          const name = `${clf.metadata?.name ?? 'textcls'}-finetuned-${data.dataset}`;
          const metadata = {
            name,
            description: `${clf.metadata?.name ?? 'a text classifier'} fine-tuned for ${epochs} epoch(s) on ${data.dataset}`,
            task: 'text-classification',
            metrics: [
              {
                name: 'accuracy',
                value: Number(after.accuracy.toFixed(4)),
                split: `${split} (${after.count})`,
                command: commandLine(),
              },
            ],
            training: { durationSeconds: Math.round(seconds), backend: b.name, hardware: b.hardware },
            reproduce: commandLine(),
          };
          const presetConfig = clf.presetConfig();
          if (out.endsWith('.tar')) {
            const tmp = await mkdtemp(join(tmpdir(), 'attnzoo-ft-'));
            await save(clf.model, join(tmp, 'preset'), metadata, {
              config: presetConfig,
              float16: true,
              tokenizer: data.tokenizerBytes,
            });
            writeFileSync(out, await packRelease(join(tmp, 'preset'), name, metadata));
            await rm(tmp, { recursive: true, force: true });
          } else {
            await save(clf.model, out, metadata, {
              config: presetConfig,
              float16: true,
              tokenizer: data.tokenizerBytes,
            });
          }
        }
        const s = str(a, 'summary', false);
        if (s) writeFileSync(s, `${JSON.stringify(result, null, 2)}\n`);
        console.log(JSON.stringify(result));
      } finally {
        clf.dispose();
        await cleanup();
      }
      return;
    }
    default: {
      // Asking for help is not an error; an unknown command is (exit 2, as the other bins).
      const asked = a.help === true || cmd === 'help' || cmd === '-h';
      const usage =
        'usage: text-classifier <train-tokenizer|pretokenize|train-release|unpack|finetune|evaluate> ... (see the header of src/bin.ts or DEVICE.md)';
      if (asked) console.log(usage);
      else console.error(cmd === undefined ? usage : `unknown command ${JSON.stringify(cmd)}; ${usage}`);
      process.exitCode = asked ? 0 : 2;
    }
  }
}

main().catch((e) => {
  console.error(`text-classifier: ${e instanceof Error ? e.message : String(e)}`);
  if (process.env.ATTNZOO_DEBUG) console.error(e);
  process.exit(1);
});
