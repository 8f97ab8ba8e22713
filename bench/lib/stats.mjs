// Small statistics and formatting helpers for the report.

/** @param {number[]} values */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** @param {number[]} values @returns {{ median: number, min: number, max: number }} */
export function spread(values) {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
  };
}

/** @param {number} value @param {number} [digits] */
export function fixed(value, digits = 0) {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** @param {{ median: number, min: number, max: number }} s @param {number} [digits] */
export function withSpread(s, digits = 0) {
  return `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
}

/** @param {number} bytes */
export const mb = (bytes) => `${fixed(bytes / 1024 / 1024, 1)} MB`;

/** @param {number} ns nanoseconds */
export function duration(ns) {
  if (!Number.isFinite(ns)) return 'n/a';
  if (ns < 1e3) return `${fixed(ns, 0)} ns`;
  if (ns < 1e6) return `${fixed(ns / 1e3, ns < 1e4 ? 2 : 1)} µs`;
  return `${fixed(ns / 1e6, 2)} ms`;
}

/**
 * A markdown table, its columns padded to equal width (as the repository's formatter, Biome,
 * writes them). @param {string[]} header @param {Array<Array<string>>} rows
 */
export function table(header, rows) {
  const width = (text) => [...text].length;
  const widths = header.map((_, column) =>
    Math.max(3, ...[header, ...rows].map((row) => width(row[column] ?? ''))),
  );
  const line = (cells) =>
    `| ${cells.map((cell, column) => cell + ' '.repeat(widths[column] - width(cell))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
