/** A hand-written SVG bar chart: one panel per measure, a bar per variant, optional ± error bars. */

export interface ChartPanel {
  title: string;
  /** One bar per label. */
  bars: { label: string; value: number; error?: number }[];
  /** Draw a dashed reference line at this value (e.g. 1 for ratios to SDPA). */
  reference?: number;
  digits?: number;
}

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function barChartSvg(title: string, panels: ChartPanel[], subtitle = ''): string {
  const panelWidth = 260;
  const panelHeight = 220;
  const top = subtitle ? 60 : 44;
  const width = panels.length * panelWidth + 20;
  const height = top + panelHeight + 50;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  if (subtitle)
    out.push(`<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`);
  panels.forEach((p, pi) => {
    const x0 = 10 + pi * panelWidth + 40;
    const plotW = panelWidth - 60;
    const y0 = top + 20;
    const plotH = panelHeight - 40;
    const finite = p.bars.filter((b) => Number.isFinite(b.value));
    const max = Math.max(1e-12, ...finite.map((b) => b.value + (b.error ?? 0)), p.reference ?? 0) * 1.1;
    const y = (v: number) => y0 + plotH - (v / max) * plotH;
    out.push(
      `<text x="${x0 + plotW / 2}" y="${y0 - 8}" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>`,
      `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y0 + plotH}" stroke="#333"/>`,
      `<line x1="${x0}" y1="${y0 + plotH}" x2="${x0 + plotW}" y2="${y0 + plotH}" stroke="#333"/>`,
    );
    for (let t = 0; t <= 4; t++) {
      const v = (max / 1.1) * (t / 4);
      out.push(
        `<text x="${x0 - 4}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v.toPrecision(3)}</text>`,
        `<line x1="${x0}" y1="${y(v)}" x2="${x0 + plotW}" y2="${y(v)}" stroke="#eee"/>`,
      );
    }
    const slot = plotW / p.bars.length;
    p.bars.forEach((b, i) => {
      const bx = x0 + i * slot + slot * 0.15;
      const bw = slot * 0.7;
      const cx = bx + bw / 2;
      if (Number.isFinite(b.value)) {
        out.push(
          `<rect x="${bx.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y0 + plotH - y(b.value)).toFixed(1)}" fill="${COLOURS[i % COLOURS.length]}"/>`,
        );
        if (b.error) {
          const hi = y(b.value + b.error);
          const lo = y(Math.max(0, b.value - b.error));
          out.push(
            `<line x1="${cx}" y1="${hi.toFixed(1)}" x2="${cx}" y2="${lo.toFixed(1)}" stroke="#000"/>`,
            `<line x1="${cx - 5}" y1="${hi.toFixed(1)}" x2="${cx + 5}" y2="${hi.toFixed(1)}" stroke="#000"/>`,
            `<line x1="${cx - 5}" y1="${lo.toFixed(1)}" x2="${cx + 5}" y2="${lo.toFixed(1)}" stroke="#000"/>`,
          );
        }
        out.push(
          `<text x="${cx}" y="${(y(b.value + (b.error ?? 0)) - 4).toFixed(1)}" text-anchor="middle">${b.value.toFixed(p.digits ?? 2)}</text>`,
        );
      }
      out.push(`<text x="${cx}" y="${y0 + plotH + 14}" text-anchor="middle">${escapeXml(b.label)}</text>`);
    });
    if (p.reference !== undefined) {
      const ry = y(p.reference).toFixed(1);
      out.push(
        `<line x1="${x0}" y1="${ry}" x2="${x0 + plotW}" y2="${ry}" stroke="#888" stroke-dasharray="4 3"/>`,
      );
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
