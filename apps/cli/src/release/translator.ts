// The translator releases (translator-en-es-*): tokenizer, pre-tokenized data, training, packing,
// fine-tuning, evaluation and decoding benchmarks, run by `attnzoo release ...` and `attnzoo bench
// decode|translator-train` (apps/cli/src/commands/release.ts).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { archiveEntries, readAnki, writeTar } from '@attnzoo/datasets/node';
import { save } from '@attnzoo/hub/node';
import {
  corpusBleu,
  type DecodeOptions,
  encodePairs,
  FINETUNE_DEFAULTS,
  fitTranslator,
  headPairs,
  loadTranslator,
  type ParallelCorpus,
  presetArchitecture,
  RELEASE_CHECK_SENTENCES,
  RELEASE_TRAINING,
  RELEASE_VOCABULARY_SIZE,
  readPretokenized,
  splitParallel,
  TRANSLATOR_PRESETS,
  Translator,
  writePretokenized,
} from '@attnzoo/seq2seq-translator/node';
import { SentencePieceTokenizer, trainSentencePiece } from '@attnzoo/tokenizer/node';
import { type EpochLogs, pauseAtTimeLimit, progressBar } from '@attnzoo/train';
import { DiskCheckpointStore } from '@attnzoo/train/node';
import { chooseBackend as selectFor } from '../backend';
import { benchTrainBatches } from '../commands/bench-translator-train';
import { commandLine, numberOption, type ReleaseArgs, stringOption } from './args';
import { releasePackageJson } from './translator-package';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function readAnkiPairs(path: string, limit?: number): Promise<ParallelCorpus> {
  const split = await readAnki(await archiveEntries(resolve(path)), { limit });
  return { source: split.source, target: split.target };
}

function sliceCorpus(c: ParallelCorpus, limit?: number): ParallelCorpus {
  return limit ? { source: c.source.slice(0, limit), target: c.target.slice(0, limit) } : c;
}

function chooseBackend(args: ReleaseArgs) {
  const backend = typeof args.options.backend === 'string' ? args.options.backend : undefined;
  const adapter = args.options['webgpu-adapter'];
  return selectFor(backend, typeof adapter === 'string' ? adapter : undefined, log);
}

/** A model-release package as one tar: the files in path order, so the same files give the same bytes. */
function tarFiles(files: Record<string, Uint8Array>): Uint8Array {
  return writeTar(
    Object.keys(files)
      .sort()
      .map((path) => ({ path, bytes: files[path] })),
    0,
  );
}

function decodeOptions(args: ReleaseArgs): DecodeOptions {
  const beam = numberOption(args, 'beam', 0);
  const cache = stringOption(args, 'cache', 'kv') as 'kv' | 'full';
  return beam > 1
    ? { method: 'beam', beamWidth: beam, lengthPenalty: numberOption(args, 'length-penalty', 0.6), cache }
    : { method: 'greedy', cache };
}

export async function trainTokenizer(args: ReleaseArgs) {
  const data = stringOption(args, 'data');
  const out = resolve(stringOption(args, 'out'));
  const vocab = numberOption(args, 'vocab', RELEASE_VOCABULARY_SIZE);
  const pairs = await readAnkiPairs(data, args.options.limit ? numberOption(args, 'limit', 0) : undefined);
  const splits = splitParallel(pairs);
  await fs.mkdir(out, { recursive: true });
  // Shared vocabulary: English and Spanish sentences of the training split only.
  const trained = await trainSentencePiece({
    inputTexts: [...splits.train.source, ...splits.train.target],
    vocabSize: vocab,
    modelPrefix: join(out, 'tokenizer'),
    characterCoverage: 1,
  });
  const summary = {
    data: basename(data),
    pairs: pairs.source.length,
    train: splits.train.source.length,
    validation: splits.validation.source.length,
    test: splits.test.source.length,
    vocabularySize: trained.tokenizer.vocabularySize,
    tokenizerSha256: createHash('sha256').update(trained.tokenizer.bytes).digest('hex'),
    command: commandLine(args.raw),
  };
  await fs.writeFile(join(out, 'tokenizer.json'), `${JSON.stringify(summary, null, 2)}\n`);
  log(
    `tokenizer: ${trained.modelPath} (${summary.vocabularySize} pieces; train ${summary.train}, validation ${summary.validation}, test ${summary.test} pairs)`,
  );
}

export async function pretokenize(args: ReleaseArgs) {
  const data = stringOption(args, 'data');
  const out = resolve(stringOption(args, 'out'));
  const tokenizerBytes = new Uint8Array(await fs.readFile(stringOption(args, 'tokenizer')));
  const tokenizer = await SentencePieceTokenizer.fromBytes(tokenizerBytes);
  const S = numberOption(args, 'source-length', 32);
  const T = numberOption(args, 'target-length', 32);
  const pairs = await readAnkiPairs(data, args.options.limit ? numberOption(args, 'limit', 0) : undefined);
  const splits = splitParallel(pairs);
  const ids = { padId: tokenizer.padId, bosId: tokenizer.bosId, eosId: tokenizer.eosId };
  const enc = (c: ParallelCorpus, dropLong: boolean) =>
    encodePairs(
      c.source.map((s) => tokenizer.encode(s)),
      c.target.map((s) => tokenizer.encode(s)),
      ids,
      { sourceLength: S, targetLength: T },
      { dropLong },
    );
  const file = writePretokenized({
    sourceLength: S,
    targetLength: T,
    vocabularySize: tokenizer.vocabularySize,
    ids: { ...ids, unkId: tokenizer.unkId },
    tokenizer: tokenizerBytes,
    train: enc(splits.train, true),
    validation: enc(splits.validation, false),
    test: enc(splits.test, false),
    texts: { validation: splits.validation, test: splits.test },
    provenance: {
      dataset: 'anki-spa-eng',
      file: basename(data),
      fileSha256: createHash('sha256')
        .update(await fs.readFile(data))
        .digest('hex'),
      split: 'hash of the lower-cased English sentence (salt attnzoo-en-es-v1): validation 3 %, test 5 %',
      pairs: pairs.source.length,
    },
  });
  await fs.writeFile(out, file);
  const p = readPretokenized(file);
  log(
    `pretokenized: ${out} (${(file.length / 1e6).toFixed(1)} MB; train ${p.train.count} pairs, ${p.train.dropped} longer than ${S}/${T} tokens left out; validation ${p.validation.count}; test ${p.test.count})`,
  );
}

function round(x: number, digits = 2): number {
  return Number(x.toFixed(digits));
}

/** A preset's architecture at the data's lengths, with --width, --numHeads, ... overriding it. */
function architectureOf(
  args: ReleaseArgs,
  preset: string,
  data: { sourceLength: number; targetLength: number },
) {
  const architecture = {
    ...presetArchitecture(preset),
    sourceMaxLength: data.sourceLength,
    targetMaxLength: data.targetLength,
  };
  for (const key of ['width', 'feedForwardWidth', 'encoderLayers', 'decoderLayers', 'numHeads'] as const) {
    if (args.options[key] !== undefined) architecture[key] = numberOption(args, key, architecture[key]);
  }
  return architecture;
}

export async function trainRelease(args: ReleaseArgs) {
  const preset = args.positional[0];
  if (!preset || !TRANSLATOR_PRESETS[preset]) {
    throw new Error(`train-release needs a preset name: ${Object.keys(TRANSLATOR_PRESETS).join(', ')}.`);
  }
  const out = resolve(stringOption(args, 'out'));
  const choice = await chooseBackend(args);
  const dataPath = stringOption(args, 'data');
  const data = readPretokenized(new Uint8Array(await fs.readFile(dataPath)), dataPath);
  const tokenizer = await SentencePieceTokenizer.fromBytes(data.tokenizer);
  const architecture = architectureOf(args, preset, data);
  const translator = Translator.create(tokenizer, architecture);
  const epochs = numberOption(args, 'epochs', RELEASE_TRAINING.epochs);
  const batchSize = numberOption(args, 'batch-size', RELEASE_TRAINING.batchSize);
  const lr = numberOption(args, 'lr', RELEASE_TRAINING.lr);
  const labelSmoothing = numberOption(args, 'label-smoothing', RELEASE_TRAINING.labelSmoothing);
  const trainLimit = args.options['train-limit'] ? numberOption(args, 'train-limit', 0) : undefined;
  const testLimit = args.options['test-limit'] ? numberOption(args, 'test-limit', 0) : undefined;
  const trainData = headPairs(data.train, trainLimit);
  log(
    `${preset}: ${translator.models.model.countParams().toLocaleString('en-US')} parameters; ${trainData.count} training pairs, ${epochs} epochs, batch ${batchSize}`,
  );
  const checkpointDir = args.options.checkpoints ? stringOption(args, 'checkpoints') : undefined;
  const resume = args.options.resume !== undefined;
  if (resume && !checkpointDir)
    throw new Error('--resume needs --checkpoints <dir> (where the run was saved).');
  // A fixed schedule split across calls: pause after the last epoch that ends in time (exit 75,
  // checkpoint kept), go on with --resume. --minutes instead shrinks the schedule to one call.
  const timeLimitMinutes = args.options['time-limit-minutes']
    ? numberOption(args, 'time-limit-minutes', 0)
    : undefined;
  if (timeLimitMinutes !== undefined && !checkpointDir)
    throw new Error('--time-limit-minutes needs --checkpoints <dir> (where the run is saved each epoch).');
  if (timeLimitMinutes !== undefined && args.options.minutes)
    throw new Error(
      '--time-limit-minutes splits a fixed schedule across calls; --minutes shrinks it to one call: pass one of them.',
    );
  const t0 = performance.now();
  const history: EpochLogs[] = [];
  const fitted = await fitTranslator(translator, {
    // Saved after every epoch: a run killed (or out of time) goes on with the same command + --resume.
    checkpoints: checkpointDir ? new DiskCheckpointStore(resolve(checkpointDir)) : undefined,
    resume,
    train: trainData,
    validation: sliceCorpus(
      data.texts.validation,
      numberOption(args, 'bleu-sentences', RELEASE_TRAINING.bleuSentences),
    ),
    // Teacher-forced validation loss each epoch (a slice: on the CPU the 8k-way logits are slow).
    validationEncoded: headPairs(
      data.validation,
      numberOption(args, 'validation-limit', RELEASE_TRAINING.validationLimit),
    ),
    epochs,
    batchSize,
    lr,
    labelSmoothing,
    bleuSentences: numberOption(args, 'bleu-sentences', RELEASE_TRAINING.bleuSentences),
    seed: numberOption(args, 'seed', RELEASE_TRAINING.seed),
    timeBudgetSeconds: args.options.minutes ? numberOption(args, 'minutes', 0) * 60 : undefined,
    widthMultiple: args.options['width-multiple'] ? numberOption(args, 'width-multiple', 1) : undefined,
    callbacks: [
      ...(timeLimitMinutes !== undefined
        ? [pauseAtTimeLimit({ limitSeconds: timeLimitMinutes * 60, startedAt: t0 })]
        : []),
      progressBar({ every: 50, write: (s) => process.stderr.write(s) }),
      {
        onEpochEnd(logs) {
          history.push({ ...logs });
          log(
            `epoch ${logs.epoch + 1}: loss ${logs.loss.toFixed(3)} val_loss ${(logs.val_loss ?? Number.NaN).toFixed(3)} val_bleu ${(logs.val_bleu ?? Number.NaN).toFixed(2)} (${logs.seconds.toFixed(0)} s)`,
          );
        },
      },
    ],
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  // What ran: a time budget (--minutes) can train fewer than the requested --epochs.
  const epochsTrained = fitted.epochs;
  log(`best ${fitted.best.monitor} ${fitted.best.value?.toFixed(3)} at epoch ${fitted.best.epoch + 1}`);
  const test = sliceCorpus(data.texts.test, testLimit);
  const greedy = await translator.evaluate(test.source, test.target, { batchSize: 256, method: 'greedy' });
  const beamWidth = numberOption(args, 'beam', RELEASE_TRAINING.beam);
  // Beam search costs beamWidth× the launches of greedy: --beam-sentences measures it on the head
  // of the test split when the GPU time is short (greedy always covers all of it).
  const beamTest = args.options['beam-sentences']
    ? sliceCorpus(test, numberOption(args, 'beam-sentences', 0))
    : test;
  const beamSplit =
    beamTest.source.length === test.source.length ? 'test' : `test[:${beamTest.source.length}]`;
  const beam =
    beamWidth > 1
      ? await translator.evaluate(beamTest.source, beamTest.target, {
          batchSize: 64,
          method: 'beam',
          beamWidth,
          lengthPenalty: 0.6,
        })
      : undefined;
  const best = beam && beamSplit === 'test' && beam.bleu.score > greedy.bleu.score ? beam : greedy;
  // Greedy BLEU on the first n test pairs: beside a beam slice, and what the release tests re-measure.
  const greedyHeadBleu = (n: number) => corpusBleu(greedy.hypotheses.slice(0, n), [test.target.slice(0, n)]);
  const greedyOnBeamSplit = beamSplit === 'test' ? undefined : greedyHeadBleu(beamTest.source.length);
  // What the release tests re-measure: greedy BLEU on the first RELEASE_CHECK_SENTENCES test pairs.
  const checkCount = Math.min(RELEASE_CHECK_SENTENCES, test.source.length);
  const releaseCheck = {
    sentences: checkCount,
    decoding: 'greedy',
    bleu: round(greedyHeadBleu(checkCount).score),
  };
  const decoding = best === beam ? `beam search (width ${beamWidth}, length penalty 0.6)` : 'greedy';
  const command = commandLine(args.raw);
  const adapter = choice.webgpuAdapter ? JSON.stringify(choice.webgpuAdapter) : undefined;
  const hardware = [choice.backend, adapter].filter(Boolean).join(' ');
  const metrics = [
    { name: 'BLEU', value: round(best.bleu.score), split: 'test', command },
    { name: 'chrF', value: round(best.chrf.score), split: 'test', command },
    { name: 'BLEU (greedy)', value: round(greedy.bleu.score), split: 'test', command },
    ...(beam
      ? [{ name: `BLEU (beam ${beamWidth})`, value: round(beam.bleu.score), split: beamSplit, command }]
      : []),
    ...(greedyOnBeamSplit
      ? [{ name: 'BLEU (greedy)', value: round(greedyOnBeamSplit.score), split: beamSplit, command }]
      : []),
  ];
  const variant = TRANSLATOR_PRESETS[preset].variant;
  const description =
    `English→Spanish Transformer (${variant} attention) trained on the Anki/Tatoeba spa-eng pairs. ` +
    `Test split (${test.source.length} pairs, no English sentence shared with training): ` +
    `BLEU ${best.bleu.score.toFixed(2)} (${best.bleu.signature}), chrF ${best.chrf.score.toFixed(2)} (${best.chrf.signature}), ${decoding}.`;
  const temp = await mkdtemp(join(tmpdir(), 'attnzoo-release-'));
  try {
    const presetDir = join(temp, 'preset');
    await save(
      translator.models.model,
      presetDir,
      {
        name: preset,
        description,
        task: 'translation',
        license: 'CC-BY-2.0',
        tags: ['translation', 'en', 'es', `attention-${variant}`],
        dataset: { name: 'anki-spa-eng', split: 'test', description: String(data.provenance.split ?? '') },
        metrics,
        training: {
          config: {
            ...architecture,
            epochs: epochsTrained,
            epochsRequested: epochs,
            batchSize,
            lr,
            labelSmoothing,
            trainPairs: trainData.count,
          },
          durationSeconds: round(trainSeconds, 0),
          hardware,
          backend: choice.backend,
        },
        reproduce: command,
        bleuSignature: best.bleu.signature,
        chrfSignature: best.chrf.signature,
        decoding,
        releaseCheck,
        tokensPerSecond: round(best.tokensPerSecond, 1),
        history,
        provenance: data.provenance,
      },
      { config: translator.presetConfig(), float16: true, tokenizer: data.tokenizer },
    );
    const files: Record<string, Uint8Array> = {};
    for (const name of await fs.readdir(presetDir))
      files[`${preset}/preset/${name}`] = new Uint8Array(await fs.readFile(join(presetDir, name)));
    const card = new TextDecoder().decode(files[`${preset}/preset/README.md`]);
    const extra = [
      '',
      '## Release',
      '',
      `- Test BLEU ${best.bleu.score.toFixed(2)} \`${best.bleu.signature}\`, chrF ${best.chrf.score.toFixed(2)} \`${best.chrf.signature}\` (${decoding}); greedy BLEU ${greedy.bleu.score.toFixed(2)}${beam ? `; beam-${beamWidth} BLEU ${beam.bleu.score.toFixed(2)} on ${beamSplit}` : ''}${greedyOnBeamSplit ? ` (greedy there: ${greedyOnBeamSplit.score.toFixed(2)})` : ''}.`,
      `- Decoding speed on this machine: ${best.tokensPerSecond.toFixed(0)} output tokens/s (${decoding}, K/V cache).`,
      `- Training: ${epochsTrained} epoch(s) of ${epochs} requested, ${round(trainSeconds / 60, 1)} min on ${hardware}.`,
      `- Command: \`${command}\``,
      '',
      '```ts',
      "import { loadTranslator } from '@attnzoo/seq2seq-translator/node';",
      `const translator = await loadTranslator('@attnzoo/model-${preset}');`,
      "const { translations } = await translator.translate(['How are you?']);",
      '```',
      '',
    ].join('\n');
    files[`${preset}/README.md`] = new TextEncoder().encode(card + extra);
    files[`${preset}/package.json`] = new TextEncoder().encode(
      releasePackageJson(preset, '0.1.0', description),
    );
    const tar = tarFiles(files);
    await fs.mkdir(dirname(out), { recursive: true });
    await fs.writeFile(`${out}.tar`, tar);
    const summary = {
      preset,
      backend: choice.backend,
      adapter: choice.webgpuAdapter,
      parameters: translator.models.model.countParams(),
      trainPairs: trainData.count,
      epochs: epochsTrained,
      epochsRequested: epochs,
      trainSeconds: round(trainSeconds, 1),
      testSentences: test.source.length,
      bleu: round(best.bleu.score),
      chrf: round(best.chrf.score),
      greedyBleu: round(greedy.bleu.score),
      beamBleu: beam ? round(beam.bleu.score) : undefined,
      beamSentences: beam ? beamTest.source.length : undefined,
      greedyBleuOnBeamSentences: greedyOnBeamSplit ? round(greedyOnBeamSplit.score) : undefined,
      bleuSignature: best.bleu.signature,
      chrfSignature: best.chrf.signature,
      tokensPerSecond: {
        greedy: round(greedy.tokensPerSecond, 1),
        beam: beam ? round(beam.tokensPerSecond, 1) : undefined,
      },
      tarBytes: tar.length,
      releaseCheck,
      examples: test.source
        .slice(0, 5)
        .map((s, i) => ({ en: s, ref: test.target[i], hyp: best.hypotheses[i] })),
      command,
    };
    if (typeof args.options.summary === 'string')
      await fs.writeFile(args.options.summary, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(JSON.stringify(summary));
    if (tar.length > 16e6)
      log(
        `warning: ${out}.tar is ${(tar.length / 1e6).toFixed(1)} MB, over the 16 MB a device file may have`,
      );
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
    translator.dispose();
  }
}

export async function finetune(args: ReleaseArgs) {
  const from = stringOption(args, 'from');
  await chooseBackend(args);
  const out = resolve(stringOption(args, 'out'));
  const translator = await loadTranslator(from);
  const dataPath = stringOption(args, 'data');
  const data = readPretokenized(new Uint8Array(await fs.readFile(dataPath)), dataPath);
  const trainLimit = args.options['train-limit'] ? numberOption(args, 'train-limit', 0) : undefined;
  const t0 = performance.now();
  await fitTranslator(translator, {
    train: headPairs(data.train, trainLimit),
    validation: sliceCorpus(data.texts.validation, 200),
    validationEncoded: headPairs(data.validation, 2000),
    epochs: numberOption(args, 'epochs', FINETUNE_DEFAULTS.epochs),
    batchSize: numberOption(args, 'batch-size', FINETUNE_DEFAULTS.batchSize),
    lr: numberOption(args, 'lr', FINETUNE_DEFAULTS.lr),
    warmupSteps: 0,
    bleuSentences: numberOption(args, 'bleu-sentences', 200),
    callbacks: [
      {
        onEpochEnd(l) {
          log(
            `epoch ${l.epoch + 1}: loss ${l.loss.toFixed(3)} val_bleu ${(l.val_bleu ?? Number.NaN).toFixed(2)}`,
          );
        },
      },
    ],
  });
  const test = sliceCorpus(
    data.texts.test,
    args.options['test-limit'] ? numberOption(args, 'test-limit', 0) : undefined,
  );
  const r = await translator.evaluate(test.source, test.target, { batchSize: 128 });
  const command = commandLine(args.raw);
  await save(
    translator.models.model,
    out,
    {
      name: basename(out),
      description: `Fine-tuned from ${from}.`,
      task: 'translation',
      metrics: [
        { name: 'BLEU', value: round(r.bleu.score), split: 'test', command },
        { name: 'chrF', value: round(r.chrf.score), split: 'test', command },
      ],
      training: { durationSeconds: round((performance.now() - t0) / 1000, 0) },
      reproduce: command,
      bleuSignature: r.bleu.signature,
    },
    {
      config: translator.presetConfig(),
      float16: true,
      tokenizer: translator.tokenizer.bytes,
      overwrite: true,
    },
  );
  console.log(
    JSON.stringify({
      out,
      bleu: round(r.bleu.score),
      chrf: round(r.chrf.score),
      signature: r.bleu.signature,
    }),
  );
}

export async function evaluateCommand(args: ReleaseArgs) {
  const from = stringOption(args, 'from');
  await chooseBackend(args);
  const translator = await loadTranslator(from);
  const dataPath = stringOption(args, 'data');
  let corpus: ParallelCorpus;
  if (dataPath.endsWith('.zip')) {
    const splits = splitParallel(await readAnkiPairs(dataPath));
    corpus = splits[stringOption(args, 'split', 'test') as 'test'];
  } else {
    const data = readPretokenized(new Uint8Array(await fs.readFile(dataPath)), dataPath);
    corpus = data.texts[stringOption(args, 'split', 'test') as 'test'];
  }
  if (!corpus) throw new Error('--split must be validation or test.');
  corpus = sliceCorpus(corpus, args.options.limit ? numberOption(args, 'limit', 0) : undefined);
  const r = await translator.evaluate(corpus.source, corpus.target, {
    batchSize: 128,
    ...decodeOptions(args),
  });
  console.log(
    JSON.stringify({
      sentences: r.sentences,
      bleu: round(r.bleu.score),
      bleuSignature: r.bleu.signature,
      bleuDetail: r.bleu.toString(),
      chrf: round(r.chrf.score),
      chrfSignature: r.chrf.signature,
      tokensPerSecond: round(r.tokensPerSecond, 1),
      seconds: round(r.seconds, 1),
    }),
  );
}

/**
 * Decoding speed, K/V cache against full recomputation, on the same sentences and weights:
 * a trained preset (`--from`) or a fresh model of a release architecture (`--preset`, with
 * `--max-length` so that untrained output has a fixed length). Prints JSON.
 */
export async function benchDecode(args: ReleaseArgs) {
  const choice = await chooseBackend(args);
  const dataPath = stringOption(args, 'data');
  const data = readPretokenized(new Uint8Array(await fs.readFile(dataPath)), dataPath);
  let translator: Translator;
  if (typeof args.options.from === 'string') translator = await loadTranslator(args.options.from);
  else {
    const tokenizer = await SentencePieceTokenizer.fromBytes(data.tokenizer);
    translator = Translator.create(tokenizer, {
      ...presetArchitecture(stringOption(args, 'preset', 'translator-en-es-sdpa')),
      sourceMaxLength: data.sourceLength,
      targetMaxLength: data.targetLength,
    });
  }
  const n = numberOption(args, 'sentences', 256);
  const sentences = data.texts.test.source.slice(0, n);
  const base: DecodeOptions = {
    ...decodeOptions(args),
    maxLength: args.options['max-length'] ? numberOption(args, 'max-length', 16) : undefined,
  };
  const batchSize = numberOption(args, 'batch-size', 64);
  await translator.translate(sentences.slice(0, Math.min(8, n)), { ...base, batchSize }); // warm-up (shader compilation)
  const rows: Record<string, unknown>[] = [];
  for (const cache of ['kv', 'full'] as const) {
    const r = await translator.translate(sentences, { ...base, cache, batchSize });
    rows.push({
      cache,
      seconds: round(r.seconds, 2),
      outputTokens: r.outputTokens,
      tokensPerSecond: round(r.tokensPerSecond, 1),
    });
  }
  console.log(
    JSON.stringify({
      backend: choice.backend,
      adapter: choice.webgpuAdapter,
      variant: translator.config.variant,
      method: base.method,
      beamWidth: base.beamWidth,
      sentences: sentences.length,
      batchSize,
      rows,
    }),
  );
}

/**
 * Training speed of padded against length-bucketed batches (same model, pairs and process):
 * writes translator-train-<backend>.{json,md} into --out.
 */
export async function benchTrain(args: ReleaseArgs) {
  const choice = await chooseBackend(args);
  const dataPath = stringOption(args, 'data');
  const data = readPretokenized(new Uint8Array(await fs.readFile(dataPath)), dataPath);
  const preset = stringOption(args, 'preset', 'translator-en-es-sdpa');
  const translator = Translator.create(
    await SentencePieceTokenizer.fromBytes(data.tokenizer),
    architectureOf(args, preset, data),
  );
  const o = {
    batchSize: numberOption(args, 'batch-size', 64),
    steps: numberOption(args, 'steps', 10),
    warmup: numberOption(args, 'warmup', 3),
  };
  const rows = await benchTrainBatches(translator, data.train, o);
  translator.dispose();
  const command = commandLine(args.raw);
  const adapter = choice.webgpuAdapter ? ` (${JSON.stringify(choice.webgpuAdapter)})` : '';
  const header = ['layout', 'width multiple', 'ms / step', 'pairs / s', 'real tokens', 'speed / padded'];
  const markdown = [
    `# Translator training: padded against length-bucketed batches (${choice.backend})`,
    '',
    `Command: \`${command}\``,
    '',
    `Backend: ${choice.backend}${adapter}; ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}; Node ${process.version}; ${new Date().toISOString()}.`,
    '',
    `${preset} architecture, ${(o.steps + o.warmup) * o.batchSize} training pairs evenly spaced over ${basename(dataPath)}'s training split, batch ${o.batchSize}; ` +
      `each step is forward, backward, clipping and AdamW through @attnzoo/train; median of ${o.steps} steps after ${o.warmup}. ` +
      'Real tokens: non-pad source and target positions over the positions computed.',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${r.layout} | ${r.widthMultiple} | ${r.msPerStep.toFixed(0)} | ${r.pairsPerSecond.toFixed(1)} | ${(100 * r.realTokenFraction).toFixed(0)} % | ${r.speedupOverPadded.toFixed(2)} |`,
    ),
  ].join('\n');
  const out = resolve(stringOption(args, 'out', 'bench-results'));
  await fs.mkdir(out, { recursive: true });
  const json = { command, backend: choice.backend, adapter: choice.webgpuAdapter, preset, ...o, rows };
  const name = join(out, `translator-train-${choice.backend}`);
  await fs.writeFile(`${name}.json`, `${JSON.stringify(json, null, 2)}\n`);
  await fs.writeFile(`${name}.md`, `${markdown}\n`);
  console.log(markdown);
  log(`wrote ${name}.json and ${name}.md`);
}
