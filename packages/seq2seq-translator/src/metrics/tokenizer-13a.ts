/**
 * sacreBLEU's default `13a` tokenizer (mteval-v13a as used by WMT), rule for rule: the
 * language-independent replacements, then the regular-expression pass of `TokenizerRegexp`,
 * then whitespace normalisation the way Python's `str.split()` does it.
 */

// Python's str.isspace() set, which str.split() splits on (JS \s differs: it has \ufeff, lacks \x1c-\x1f).
// biome-ignore lint/suspicious/noControlCharactersInRegex: Python counts the separators \x1c-\x1f as whitespace.
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

const RULES: [RegExp, string][] = [
  // Punctuation and symbols in the ASCII ranges { - ~, [ - `, space - &, ( - +, : - @, and '/'.
  [/([{-~[-` -&(-+:-@/])/g, ' $1 '],
  // Period and comma unless preceded by a digit.
  [/([^0-9])([.,])/g, '$1 $2 '],
  // Period and comma unless followed by a digit.
  [/([.,])([^0-9])/g, ' $1 $2'],
  // Dash when preceded by a digit.
  [/([0-9])(-)/g, '$1 $2 '],
];

/** Splits on runs of whitespace and drops empty ends, as Python's `str.split()` with no argument. */
export function pythonSplit(text: string): string[] {
  return text.split(PY_WHITESPACE).filter((t) => t.length > 0);
}

export function tokenize13a(line: string): string {
  let s = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  s = ` ${s} `;
  for (const [re, replacement] of RULES) s = s.replace(re, replacement);
  return pythonSplit(s).join(' ');
}
