export interface Column<T> {
  header: string;
  value: (row: T) => string | number;
  /** Digits after the decimal point for numbers (default 2). */
  digits?: number;
}

/** A GitHub-flavoured markdown table; numbers right-aligned with fixed digits. */
export function markdownTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      return typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(c.digits ?? 2) : String(v)) : v;
    }),
  );
  const header = `| ${columns.map((c) => c.header).join(' | ')} |`;
  const rule = `|${columns.map(() => '---').join('|')}|`;
  return [header, rule, ...cells.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
