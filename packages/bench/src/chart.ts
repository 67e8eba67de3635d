/** A dependency-free SVG bar chart of a bench run: forward ms per model and configuration. */

export interface ChartBar {
  label: string;
  value: number;
}

export interface ChartGroup {
  name: string;
  bars: ChartBar[];
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Grouped horizontal bars (one group per model), values labelled; `unit` is printed after each value. */
export function barChartSvg(title: string, groups: ChartGroup[], unit = 'ms', note = ''): string {
  const labels = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const barH = 18;
  const gap = 6;
  const left = 190;
  const width = 760;
  const plotW = width - left - 90;
  let y = 50;
  const parts: string[] = [];
  for (const g of groups) {
    parts.push(`<text x="10" y="${y + 13}" font-weight="bold">${esc(g.name)}</text>`);
    y += 20;
    for (const b of g.bars) {
      const color = COLORS[labels.indexOf(b.label) % COLORS.length]!;
      const w = Math.max(1, (b.value / max) * plotW);
      parts.push(`<text x="${left - 8}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`);
      parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 13}">${b.value.toFixed(1)} ${esc(unit)}</text>`);
      y += barH + gap;
    }
    y += 10;
  }
  const height = y + (note ? 24 : 6);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    note ? `<text x="10" y="${height - 10}" fill="#555">${esc(note)}</text>` : '',
    '</svg>',
    '',
  ].join('\n');
}
