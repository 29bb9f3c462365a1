/** `text,label` lines: the label follows the last comma; a quoted text may hold doubled quotes. */
export function parseCsv(csv: string, classNames: string[]): { texts: string[]; labels: number[] } {
  const texts: string[] = [];
  const labels: number[] = [];
  for (const [i, raw] of csv.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(?:"((?:[^"]|"")*)"|(.*)),\s*([^,"]+)$/.exec(line);
    if (!m) throw new Error(`CSV line ${i + 1} is not text,label: ${line}`);
    const text = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2];
    const label = m[3].trim();
    const index = /^\d+$/.test(label) ? Number(label) : classNames.indexOf(label);
    if (!(index >= 0 && index < classNames.length)) {
      throw new Error(
        `CSV line ${i + 1}: label ${label} is not one of ${classNames.join(', ')} or 0-${classNames.length - 1}`,
      );
    }
    texts.push(text);
    labels.push(index);
  }
  if (texts.length === 0) throw new Error('The CSV holds no text,label lines.');
  return { texts, labels };
}
