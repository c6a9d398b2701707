/**
 * Line plots as inline SVG for the --html report: axes, ticks, one polyline
 * per series, a legend. No script and no external reference, so the file
 * draws the same offline.
 */
export interface PlotSeries {
  readonly name: string;
  readonly color: string;
  /** [x, y] in axis units. */
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
}

export interface PlotAxis {
  readonly title: string;
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly { readonly value: number; readonly label: string }[];
}

const width = 760;
const height = 340;
const margin = { left: 70, right: 20, top: 20, bottom: 60 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const round = (value: number) => Math.round(value * 10) / 10;

export function linePlot(className: string, label: string, series: readonly PlotSeries[], x: PlotAxis, y: PlotAxis): string {
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const spanX = x.max - x.min || 1;
  const spanY = y.max - y.min || 1;
  const px = (value: number) => round(margin.left + ((Math.min(Math.max(value, x.min), x.max) - x.min) / spanX) * plotWidth);
  const py = (value: number) => round(margin.top + plotHeight - ((Math.min(Math.max(value, y.min), y.max) - y.min) / spanY) * plotHeight);
  const parts: string[] = [];
  parts.push(`<svg class="${className}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(label)}">`);
  parts.push(`<rect class="frame" x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`);
  for (const tick of x.ticks) {
    const at = px(tick.value);
    parts.push(`<line class="grid" x1="${at}" y1="${margin.top}" x2="${at}" y2="${margin.top + plotHeight}" stroke="#e4e4e4"/>`);
    parts.push(`<text class="tick" x="${at}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${escapeHtml(tick.label)}</text>`);
  }
  for (const tick of y.ticks) {
    const at = py(tick.value);
    parts.push(`<line class="grid" x1="${margin.left}" y1="${at}" x2="${margin.left + plotWidth}" y2="${at}" stroke="#e4e4e4"/>`);
    parts.push(`<text class="tick" x="${margin.left - 6}" y="${at + 4}" text-anchor="end">${escapeHtml(tick.label)}</text>`);
  }
  parts.push(`<text class="axis-title" x="${margin.left + plotWidth / 2}" y="${height - 22}" text-anchor="middle">${escapeHtml(x.title)}</text>`);
  parts.push(`<text class="axis-title" transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(y.title)}</text>`);
  for (const line of series) {
    const points = line.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (points.length === 0) continue;
    const dash = line.dashed === true ? ' stroke-dasharray="5 4"' : "";
    parts.push(
      `<polyline class="curve" data-target="${escapeHtml(line.name)}" fill="none" stroke="${line.color}" stroke-width="2"${dash} points="${points.map(([a, b]) => `${px(a)},${py(b)}`).join(" ")}"><title>${escapeHtml(line.name)}</title></polyline>`,
    );
  }
  // The legend, in one row under the axis title.
  let legendX = margin.left;
  for (const line of series) {
    const dash = line.dashed === true ? ' stroke-dasharray="5 4"' : "";
    parts.push(`<line x1="${legendX}" y1="${height - 6}" x2="${legendX + 18}" y2="${height - 6}" stroke="${line.color}" stroke-width="2"${dash}/>`);
    parts.push(`<text class="legend" x="${legendX + 22}" y="${height - 2}">${escapeHtml(line.name)}</text>`);
    legendX += 30 + Math.min(line.name.length, 40) * 7;
  }
  parts.push("</svg>");
  return parts.join("");
}

/** About five round ticks from 0 to at least `max` (1, 2 or 5 times a power of ten apart). */
export function niceTicks(max: number, format: (value: number) => string): { max: number; ticks: { value: number; label: string }[] } {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  const raw = top / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw) ?? 10 * power;
  const count = Math.ceil(top / step);
  const ticks = Array.from({ length: count + 1 }, (_, index) => ({ value: index * step, label: format(index * step) }));
  return { max: count * step, ticks };
}
