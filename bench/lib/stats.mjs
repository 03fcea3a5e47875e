/**
 * The few statistics a benchmark report needs: median and range of a
 * handful of runs, and ratios between two servers' runs. With 3 runs the
 * median is the middle run and min–max is the whole spread; nothing fancier
 * is honest with so few samples.
 */

/** `{ n, median, min, max, values }` of numbers; null fields when empty. */
export function summarize(values) {
  if (values.length === 0) return { n: 0, median: null, min: null, max: null, values };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { n: values.length, median, min: sorted[0], max: sorted[sorted.length - 1], values };
}

/**
 * Ratio subject ÷ competitor: `median` is the ratio of the medians; `low` and
 * `high` are the most pessimistic and most optimistic pairings of the two
 * ranges (subject min ÷ competitor max, subject max ÷ competitor min).
 * Null when either side has no runs.
 */
export function ratio(subject, competitor) {
  if (subject.n === 0 || competitor.n === 0) return null;
  return {
    median: subject.median / competitor.median,
    low: subject.min / competitor.max,
    high: subject.max / competitor.min,
  };
}

/** (max − min) ÷ median, as a fraction; null when undefined. */
export function relativeSpread(summary) {
  return summary.n === 0 || summary.median === 0 ? null : (summary.max - summary.min) / summary.median;
}
