const NOT_METRICS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'rate',
  'irate',
  'increase',
  'delta',
  'histogram_quantile',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'abs',
  'clamp_min',
  'clamp_max',
  'topk',
  'bottomk',
  'time',
  'vector',
  'scalar',
  'absent',
]);

/** The metric names a PromQL expression reads (not functions, keywords, labels or strings). */
export function metricNamesIn(expression: string): string[] {
  const withoutDetails = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = withoutDetails.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((name) => !NOT_METRICS.has(name)))];
}

/** Every metric family a /metrics text declares, with the series names histograms add. */
export function exportedMetricNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const match of scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    if (!name) continue;
    names.add(name);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** The label names a PromQL expression matches on or groups by. */
export function labelNamesIn(expression: string): string[] {
  const withoutStrings = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names: string[] = [];
  for (const [, matchers] of withoutStrings.matchAll(/\{([^}]*)\}/g))
    for (const [, name] of (matchers ?? '').matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)/g))
      if (name) names.push(name);
  for (const [, grouping] of withoutStrings.matchAll(
    /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
  ))
    for (const name of (grouping ?? '').split(',')) if (name.trim()) names.push(name.trim());
  return [...new Set(names)];
}

/**
 * The label names each metric's samples carry in a /metrics text, by series name (histograms'
 * `_bucket`, `_sum` and `_count` apart). A family with no sample yet is absent.
 */
export function exportedLabelNames(scrape: string): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const [, name, body] of scrape.matchAll(/^([A-Za-z_:][\w:]*)(?:\{([^}]*)\})? /gm)) {
    if (!name) continue;
    const names = labels.get(name) ?? new Set<string>();
    for (const [, label] of (body ?? '').matchAll(/([A-Za-z_]\w*)="/g)) if (label) names.add(label);
    labels.set(name, names);
  }
  return labels;
}
