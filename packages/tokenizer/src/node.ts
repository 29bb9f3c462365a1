// Node-only entry: model files on disk and Debian's spm_train / spm_encode. Re-exports the core.
import { readFile } from 'node:fs/promises';
import { TokenizerError } from './errors';
import { SentencePieceTokenizer } from './tokenizer';

export * from './index';
export {
  findSpmTool,
  SPM_INSTALL_HINT,
  type SpmTool,
  spmEncodeIds,
  spmEncodePieces,
  type TrainedSentencePiece,
  type TrainSentencePieceOptions,
  toTrainingLine,
  trainSentencePiece,
} from './spm';

/** Loads a `.model` file. */
export async function loadSentencePieceFile(path: string): Promise<SentencePieceTokenizer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TokenizerError('BAD_INPUT', `cannot read SentencePiece model ${path}: ${(e as Error).message}`);
  }
  return SentencePieceTokenizer.fromBytes(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    path,
  );
}
