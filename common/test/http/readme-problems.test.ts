import { PROBLEM_TYPES } from '@user-service/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SECTION = '## The API contract (implemented by the gateway)';
const HEADER = '| type | status | title | when |';

/** The rows of the problem table in the README's API contract, cells as written. */
function readmeProblemRows(): string[][] {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no section "${SECTION}"`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const lines = readme.slice(start, end < 0 ? undefined : end).split('\n');
  const header = lines.findIndex((line) => line.trim() === HEADER);
  if (header < 0) throw new Error(`the API contract in README.md has no table headed "${HEADER}"`);
  const rows: string[][] = [];
  // After the header, the separator row; the table ends at the first line that is not a row.
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
        .split('|')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

describe('the README documents the problem catalog', () => {
  it('lists every problem type with the catalog’s status, title and when, in the catalog’s order', () => {
    const documented = readmeProblemRows();
    const catalog = Object.values(PROBLEM_TYPES).map(({ type, status, title, when }) => [
      `\`${type}\``,
      String(status),
      title,
      when,
    ]);
    expect(documented).toEqual(catalog);
  });
});
