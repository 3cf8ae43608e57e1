import { PROBLEM_TYPES } from '@user-service/common/http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCUMENT = join(__dirname, '..', '..', '..', 'docs', 'api.md');
const SECTION = '## Problems';
const HEADER = '| type | status | title | when |';

/** The rows of the problem table in docs/api.md, the API contract, cells as written. */
function documentedProblemRows(): string[][] {
  const api = readFileSync(DOCUMENT, 'utf8');
  const start = api.indexOf(SECTION);
  if (start < 0) throw new Error(`docs/api.md has no section "${SECTION}"`);
  const end = api.indexOf('\n## ', start + SECTION.length);
  const lines = api.slice(start, end < 0 ? undefined : end).split('\n');
  const header = lines.findIndex((line) => line.trim() === HEADER);
  if (header < 0) throw new Error(`the problems of docs/api.md have no table headed "${HEADER}"`);
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

describe('docs/api.md documents the problem catalog', () => {
  it('lists every problem type with the catalog’s status, title and when, in the catalog’s order', () => {
    const documented = documentedProblemRows();
    const catalog = Object.values(PROBLEM_TYPES).map(({ type, status, title, when }) => [
      `\`${type}\``,
      String(status),
      title,
      when,
    ]);
    expect(documented).toEqual(catalog);
  });
});
