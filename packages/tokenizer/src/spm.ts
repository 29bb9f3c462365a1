import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { TokenizerError } from './errors';
import type { SentencePieceModelType } from './proto';
import { ATTNZOO_SPECIAL_IDS, SentencePieceTokenizer, type SpecialIds } from './tokenizer';

export type SpmTool = 'spm_train' | 'spm_encode' | 'spm_decode';

export const SPM_INSTALL_HINT =
  "SentencePiece's command-line tools come with Debian's package `sentencepiece`: " +
  'sudo apt-get install -y sentencepiece (or put spm_train/spm_encode on PATH, or set ATTNZOO_SPM_DIR)';

/** Absolute path of a SentencePiece command-line tool; throws SPM_NOT_FOUND with the install hint. */
export function findSpmTool(
  tool: SpmTool,
  dirs: readonly (string | undefined)[] = [
    process.env.ATTNZOO_SPM_DIR,
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/bin',
    '/usr/local/bin',
  ],
): string {
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, tool);
    if (existsSync(p)) return p;
  }
  throw new TokenizerError('SPM_NOT_FOUND', `${tool} was not found. ${SPM_INSTALL_HINT}`);
}

function run(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new TokenizerError('SPM_FAILED', `${cmd} could not start: ${e.message}`)),
    );
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        const tail = stderr.trim().split('\n').slice(-5).join('\n');
        reject(new TokenizerError('SPM_FAILED', `${cmd} ${args.join(' ')} exited with ${code}:\n${tail}`));
      } else resolvePromise({ stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** One training sentence per line: SentencePiece reads lines, so newlines inside a text become spaces. */
export function toTrainingLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\0/g, '');
}

export interface TrainSentencePieceOptions {
  /** Training texts (one sentence per text; newlines inside a text become spaces)… */
  inputTexts?: readonly string[];
  /** …or a text file with one sentence per line. */
  inputFile?: string;
  vocabSize: number;
  modelType?: SentencePieceModelType;
  /** Share of characters the vocabulary must cover; SentencePiece's default 0.9995. */
  characterCoverage?: number;
  userDefinedSymbols?: readonly string[];
  /** Output path prefix: writes `<prefix>.model` and `<prefix>.vocab`. */
  modelPrefix: string;
  /** Special ids; default attnzoo's convention pad 0, unk 1, bos 2, eos 3 (-1 disables one). */
  specialIds?: Partial<SpecialIds>;
  /** SentencePiece normalisation rule (default `nmt_nfkc`). */
  normalizationRule?: string;
  /** Sample at most this many sentences (0 = all, the default). */
  inputSentenceSize?: number;
  maxSentenceLength?: number;
  numThreads?: number;
  /** More `--flag=value` arguments for spm_train. */
  extraArgs?: readonly string[];
  /** Path of spm_train (default: found on PATH). */
  spmTrain?: string;
}

export interface TrainedSentencePiece {
  modelPath: string;
  vocabPath: string;
  tokenizer: SentencePieceTokenizer;
  /** spm_train's log (stderr). */
  log: string;
  args: string[];
}

/**
 * Trains a SentencePiece model with Debian's `spm_train` (Node only) and loads it. attnzoo's
 * convention pad 0 / unk 1 / bos 2 / eos 3 is the default, so models can mask id 0 as padding.
 */
export async function trainSentencePiece(opts: TrainSentencePieceOptions): Promise<TrainedSentencePiece> {
  if ((opts.inputTexts === undefined) === (opts.inputFile === undefined)) {
    throw new TokenizerError('BAD_INPUT', 'trainSentencePiece needs exactly one of inputTexts or inputFile');
  }
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < 4) {
    throw new TokenizerError('BAD_INPUT', `vocabSize must be an integer >= 4, got ${opts.vocabSize}`);
  }
  if (!opts.modelPrefix) throw new TokenizerError('BAD_INPUT', 'modelPrefix is required');
  const spmTrain = opts.spmTrain ?? findSpmTool('spm_train');
  const ids = { ...ATTNZOO_SPECIAL_IDS, ...opts.specialIds };
  const prefix = resolve(opts.modelPrefix);
  let tmp: string | undefined;
  let input = opts.inputFile ? resolve(opts.inputFile) : '';
  try {
    if (opts.inputTexts) {
      const lines = opts.inputTexts.map(toTrainingLine).filter((l) => l.trim().length > 0);
      if (lines.length === 0) throw new TokenizerError('BAD_INPUT', 'inputTexts holds no non-empty text');
      tmp = await mkdtemp(join(tmpdir(), 'attnzoo-spm-'));
      input = join(tmp, 'input.txt');
      await writeFile(input, `${lines.join('\n')}\n`);
    } else if (!existsSync(input)) {
      throw new TokenizerError('BAD_INPUT', `inputFile ${input} does not exist`);
    }
    if (!existsSync(dirname(prefix))) {
      throw new TokenizerError('BAD_INPUT', `the folder of modelPrefix ${prefix} does not exist`);
    }
    const args = [
      `--input=${input}`,
      `--model_prefix=${prefix}`,
      `--vocab_size=${opts.vocabSize}`,
      `--model_type=${opts.modelType ?? 'unigram'}`,
      `--character_coverage=${opts.characterCoverage ?? 0.9995}`,
      `--pad_id=${ids.pad}`,
      `--unk_id=${ids.unk}`,
      `--bos_id=${ids.bos}`,
      `--eos_id=${ids.eos}`,
      `--normalization_rule_name=${opts.normalizationRule ?? 'nmt_nfkc'}`,
      `--input_sentence_size=${opts.inputSentenceSize ?? 0}`,
      '--shuffle_input_sentence=true',
      `--num_threads=${opts.numThreads ?? 2}`,
    ];
    if (opts.maxSentenceLength) args.push(`--max_sentence_length=${opts.maxSentenceLength}`);
    if (opts.userDefinedSymbols?.length) {
      if (opts.userDefinedSymbols.some((s) => s.includes(',') || s.length === 0)) {
        throw new TokenizerError('BAD_INPUT', 'userDefinedSymbols must be non-empty and free of commas');
      }
      args.push(`--user_defined_symbols=${opts.userDefinedSymbols.join(',')}`);
    }
    args.push(...(opts.extraArgs ?? []));
    const { stderr } = await run(spmTrain, args);
    const modelPath = `${prefix}.model`;
    const tokenizer = await SentencePieceTokenizer.fromBytes(new Uint8Array(await readFile(modelPath)));
    return { modelPath, vocabPath: `${prefix}.vocab`, tokenizer, log: stderr, args };
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Ids from Debian's `spm_encode --output_format=id` for each text (one line each), the reference
 * that sentencepiece-js is checked against.
 */
export async function spmEncodeIds(
  modelPath: string,
  texts: readonly string[],
  spmEncode?: string,
): Promise<number[][]> {
  const tool = spmEncode ?? findSpmTool('spm_encode');
  const lines = texts.map(toTrainingLine);
  const { stdout } = await run(tool, [`--model=${modelPath}`, '--output_format=id'], `${lines.join('\n')}\n`);
  const rows = stdout.split('\n');
  if (rows.at(-1) === '') rows.pop();
  if (rows.length !== texts.length) {
    throw new TokenizerError(
      'SPM_FAILED',
      `spm_encode returned ${rows.length} lines for ${texts.length} texts`,
    );
  }
  return rows.map((r) => (r.trim() === '' ? [] : r.trim().split(/\s+/).map(Number)));
}

/** Same as spmEncodeIds with `--output_format=piece`. */
export async function spmEncodePieces(
  modelPath: string,
  texts: readonly string[],
  spmEncode?: string,
): Promise<string[][]> {
  const tool = spmEncode ?? findSpmTool('spm_encode');
  const { stdout } = await run(
    tool,
    [`--model=${modelPath}`, '--output_format=piece'],
    `${texts.map(toTrainingLine).join('\n')}\n`,
  );
  const rows = stdout.split('\n');
  if (rows.at(-1) === '') rows.pop();
  return rows.map((r) => (r === '' ? [] : r.split(' ')));
}
