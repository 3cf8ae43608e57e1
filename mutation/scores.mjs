// One table over the JSON reports of several Stryker runs, scored as Stryker scores: detected
// (killed + timeout) over valid (detected + survived + no coverage). Compile errors, runtime
// errors and ignored mutants are not valid, so not counted. Static mutants are run and counted;
// the `static` column says how many of the valid ones are static.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function emptyRow() {
  return { mutants: 0, invalid: 0, static: 0, killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
}

function add(row, mutant) {
  row.mutants += 1;
  if (!DETECTED.has(mutant.status) && !UNDETECTED.has(mutant.status)) {
    row.invalid += 1;
    return;
  }
  if (mutant.static) row.static += 1;
  if (mutant.status === 'Killed') row.killed += 1;
  else if (mutant.status === 'Timeout') row.timeout += 1;
  else if (mutant.status === 'Survived') row.survived += 1;
  else row.noCoverage += 1;
}

function score(row) {
  const detected = row.killed + row.timeout;
  const valid = detected + row.survived + row.noCoverage;
  return valid === 0 ? '–' : ((100 * detected) / valid).toFixed(1);
}

export function printScores(folder) {
  let reports;
  try {
    reports = readdirSync(folder).filter((file) => file.endsWith('.json'));
  } catch {
    console.log(`no reports in ${folder}`);
    return;
  }
  const rows = new Map();
  const total = emptyRow();
  for (const report of reports) {
    const { files } = JSON.parse(readFileSync(join(folder, report), 'utf8'));
    for (const [path, file] of Object.entries(files)) {
      const name = relative(process.cwd(), path) || path;
      const row = rows.get(name) ?? emptyRow();
      rows.set(name, row);
      for (const mutant of file.mutants) {
        add(row, mutant);
        add(total, mutant);
      }
    }
  }
  const header = [
    'file',
    'mutants',
    'invalid',
    'static',
    'killed',
    'timeout',
    'survived',
    'no cov',
    'score',
  ];
  const line = (name, row) => [
    name,
    row.mutants,
    row.invalid,
    row.static,
    row.killed,
    row.timeout,
    row.survived,
    row.noCoverage,
    score(row),
  ];
  const table = [
    header,
    ...[...rows.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, row]) => line(name, row)),
    line(`all ${rows.size} files`, total),
  ];
  console.log(
    `\nMutation score over ${reports.join(', ')} (invalid = compile or runtime error, not counted)`,
  );
  for (const cells of table) console.log(`| ${cells.join(' | ')} |`);
}

if (import.meta.url === `file://${process.argv[1]}`)
  printScores(process.argv[2] ?? 'reports/mutation');
