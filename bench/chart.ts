import { median, type CaseSummary, type ReportContext } from './report.js'
import type { Visitor } from './variants.js'

const WIDTH = 900
const LABEL_WIDTH = 340
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - 60
const BAR = 13
const GAP = 12
const TOP = 58

/** Bar colours: ours stand out, peers are grey, baselines green; new is the darker shade. */
const COLORS: Record<'baseline' | 'ours' | 'peer', Record<Visitor, string>> = {
  baseline: { anonymous: '#38a169', new: '#38a169', returning: '#38a169' },
  ours: { anonymous: '#2b6cb0', new: '#2b6cb0', returning: '#63b3ed' },
  peer: { anonymous: '#4a5568', new: '#4a5568', returning: '#a0aec0' },
}

const escape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

/**
 * An SVG bar chart of efficiency vs bare Hono (median over rounds) per variant, new and
 * returning visitors side by side, ours beside the peers, with bare (1.0) and the plain-cookie
 * floor marked. Cases that could not be measured are left out.
 */
export function renderChart(summaries: readonly CaseSummary[], context: ReportContext): string {
  const measured = summaries.filter((s) => s.ratios.length > 0)
  const variants = [...new Set(measured.map((s) => s.variant))]
  const floor = measured.find((s) => s.variant.name === 'plain-cookie')
  const max = Math.max(1, ...measured.map((s) => median(s.ratios))) * 1.08
  const x = (ratio: number) => LABEL_WIDTH + (ratio / max) * PLOT_WIDTH
  const rows: string[] = []
  let y = TOP
  for (const variant of variants) {
    const cases = measured.filter((s) => s.variant === variant)
    const height = cases.length * BAR
    rows.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + height / 2 + 4}" text-anchor="end">${escape(variant.label)}</text>`
    )
    for (const s of cases) {
      const ratio = median(s.ratios)
      const color = COLORS[variant.group][s.visitor]
      const tag = s.visitor === 'anonymous' ? '' : ` ${s.visitor}`
      rows.push(
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${(x(ratio) - LABEL_WIDTH).toFixed(1)}" height="${BAR - 2}" fill="${color}"/>`,
        `<text x="${(x(ratio) + 4).toFixed(1)}" y="${y + BAR - 3}" class="v">${ratio.toFixed(2)}${tag}</text>`
      )
      y += BAR
    }
    y += GAP
  }
  const bottom = y
  const marks = [
    `<line x1="${x(1)}" y1="${TOP - 6}" x2="${x(1)}" y2="${bottom}" stroke="#222" stroke-width="1"/>`,
    `<text x="${x(1)}" y="${TOP - 10}" text-anchor="middle" class="v">bare Hono = 1.00</text>`,
  ]
  if (floor !== undefined) {
    const f = x(median(floor.ratios))
    marks.push(
      `<line x1="${f}" y1="${TOP - 6}" x2="${f}" y2="${bottom}" stroke="#c53030" stroke-dasharray="4 3"/>`,
      `<text x="${f}" y="${TOP - 22}" text-anchor="middle" class="v" fill="#c53030">plain-cookie floor ${median(floor.ratios).toFixed(2)}</text>`
    )
  }
  const title =
    `Server CPU efficiency vs bare Hono (higher is better): ${context.date.toISOString().slice(0, 10)}, ` +
    `median of ${context.rounds} interleaved round(s)`
  const height = bottom + 20
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    '<style>.v{font-size:11px}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="18" font-size="14" font-weight="600">${escape(title)}</text>`,
    `<text x="12" y="34" class="v">dark: new visitor (no cookie, a session created per request) · light: returning visitor · blue: typed-sessions · grey: peers</text>`,
    ...rows,
    ...marks,
    '</svg>',
    '',
  ].join('\n')
}
