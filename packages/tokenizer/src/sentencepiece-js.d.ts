// sentencepiece-js ships no types; wasm.ts describes the part it uses.
declare module 'sentencepiece-js' {
  export const SentencePieceProcessor: new () => unknown;
  const index: { SentencePieceProcessor: new () => unknown };
  export default index;
}
