/// <reference path="./sentencepiece-js.d.ts" />
import { TokenizerError } from './errors';

/** The embind surface of sentencepiece-js's wasm module that this package uses. */
export interface Deletable {
  delete(): void;
}
interface StringViewHandle extends Deletable {
  getView(): Deletable;
}
interface IntVector extends Deletable {
  size(): number;
  get(i: number): number;
}
interface StringVector extends Deletable {
  size(): number;
  get(i: number): string;
}
export interface WasmProcessor extends Deletable {
  Load(view: Deletable): Deletable & { ToString(): string };
  EncodeAsIds(view: Deletable): IntVector;
  EncodeAsPieces(view: Deletable): StringVector;
  DecodeIds(ids: Deletable): string;
}
export interface SentencePieceWasm {
  FS: { writeFile(path: string, data: Uint8Array): void; unlink(path: string): void };
  StringView: new (s: string) => StringViewHandle;
  SentencePieceProcessor: new () => WasmProcessor;
  vecFromJSArray(ids: number[]): Deletable;
}

let modulePromise: Promise<SentencePieceWasm> | undefined;

/**
 * One wasm instance for every tokenizer. sentencepiece-js only offers `load(path)`, which
 * instantiates the module and *then* reads the file with `fs`; giving it a path that cannot
 * exist leaves the instance behind, which we keep and feed bytes to directly, so loading from
 * bytes works without a file system. Emscripten also installs process-wide
 * `uncaughtException`/`unhandledRejection` handlers in Node that rethrow; they are removed so
 * importing a tokenizer does not change how the host process handles errors.
 */
export function sentencePieceWasm(): Promise<SentencePieceWasm> {
  modulePromise ??= (async () => {
    // sentencepiece-js reads `__filename` when it is evaluated and instantiated (only to locate
    // its wasm, which is inlined anyway). ES-module bundles (the device bundle) have none, so a
    // placeholder is set for that time and removed afterwards. The import is lazy for the same reason.
    const g = globalThis as { __filename?: string };
    const placeholder = typeof __filename === 'undefined' && g.__filename === undefined;
    if (placeholder) g.__filename = '/sentencepiece-js/dist/index.js';
    try {
      return await instantiate();
    } catch (e) {
      modulePromise = undefined;
      throw e;
    } finally {
      if (placeholder) delete g.__filename;
    }
  })();
  return modulePromise;
}

async function instantiate(): Promise<SentencePieceWasm> {
  const spjs = await import('sentencepiece-js');
  const Processor =
    (spjs as unknown as { SentencePieceProcessor?: new () => unknown }).SentencePieceProcessor ??
    (spjs as unknown as { default: { SentencePieceProcessor: new () => unknown } }).default
      .SentencePieceProcessor;
  const proc = typeof process === 'object' && typeof process.listeners === 'function' ? process : undefined;
  const before = proc
    ? {
        ue: new Set(proc.listeners('uncaughtException')),
        ur: new Set(proc.listeners('unhandledRejection')),
      }
    : undefined;
  const spp = new Processor() as { load(p: string): Promise<void>; sentencepiece?: SentencePieceWasm };
  try {
    await spp.load('\0attnzoo: bytes are written to the wasm file system instead');
  } catch {
    // expected: see above
  }
  if (proc && before) {
    for (const l of proc.listeners('uncaughtException')) {
      if (!before.ue.has(l)) proc.removeListener('uncaughtException', l as (...a: unknown[]) => void);
    }
    for (const l of proc.listeners('unhandledRejection')) {
      if (!before.ur.has(l)) proc.removeListener('unhandledRejection', l as (...a: unknown[]) => void);
    }
  }
  const m = spp.sentencepiece;
  if (!m || typeof m.SentencePieceProcessor !== 'function' || !m.FS) {
    throw new TokenizerError('BAD_MODEL', 'sentencepiece-js did not start its wasm module');
  }
  return m;
}

let fileCounter = 0;

/** Loads serialized model bytes into a new wasm processor; throws BAD_MODEL with SentencePiece's status. */
export async function loadWasmProcessor(bytes: Uint8Array, name = 'the model'): Promise<WasmProcessor> {
  const m = await sentencePieceWasm();
  const path = `/attnzoo-${++fileCounter}.model`;
  m.FS.writeFile(path, bytes);
  const sv = new m.StringView(path);
  const view = sv.getView();
  const p = new m.SentencePieceProcessor();
  let msg: string;
  try {
    const status = p.Load(view);
    msg = status.ToString();
    status.delete();
  } catch (e) {
    // SentencePiece's C++ throws for some malformed models; emscripten surfaces that as a bare
    // number (the exception's address), which must not reach the caller
    try {
      p.delete();
    } catch {
      // the processor may be half-built: nothing more to free
    }
    throw new TokenizerError(
      'BAD_MODEL',
      `SentencePiece could not load ${name}: it stopped with an internal error (${e instanceof Error ? e.message : `C++ exception ${String(e)}`}); the file is damaged, train or download it again`,
    );
  } finally {
    view.delete();
    sv.delete();
    m.FS.unlink(path);
  }
  if (msg !== 'OK') {
    p.delete();
    throw new TokenizerError(
      'BAD_MODEL',
      `SentencePiece could not load ${name}: ${msg}; the file is damaged, train or download it again`,
    );
  }
  return p;
}
