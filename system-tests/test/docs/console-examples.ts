/**
 * The `console` examples of the documents: each `$ curl …` command with what it prints.
 *
 * How an example is written, and so how it is compared with a real answer:
 * - A command starts with `$ ` and continues on the next line while a line ends with `\`.
 * - What follows it, up to the next command, is what curl prints. With `-i` that starts with the
 *   status line (`HTTP/1.1 201 Created`), then the headers the example cares about, then a blank
 *   line, then the body. Only the headers shown are compared (a response has more).
 * - `…` stands for a value that differs from run to run (a time, a generated id): it matches
 *   one or more characters other than `"` and a line break, so it can stand for the inside of
 *   one JSON string or the rest of one header value, never for structure.
 * Everything else must be equal, character for character.
 */
export interface ConsoleExample {
  readonly command: string;
  /** The line of the command in its file, for failure messages. */
  readonly line: number;
  readonly expected: PrintedAnswer;
}

export interface PrintedAnswer {
  readonly statusLine: string | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

export const PLACEHOLDER = '…';

/** Splits one console block (starting at `firstLine` of its file) into its examples. */
export function examplesOf(block: string, firstLine: number): ConsoleExample[] {
  const lines = block.replace(/\n$/, '').split('\n');
  const examples: ConsoleExample[] = [];
  let index = 0;
  while (index < lines.length) {
    const start = lines[index] as string;
    if (!start.startsWith('$ ')) {
      throw new Error(
        `line ${firstLine + 1 + index}: "${start}" is neither a command nor its output`,
      );
    }
    const line = firstLine + 1 + index;
    let command = start.slice(2);
    while (command.endsWith('\\') && index + 1 < lines.length) {
      command = `${command.slice(0, -1)} ${(lines[++index] as string).trim()}`;
    }
    const output: string[] = [];
    while (index + 1 < lines.length && !(lines[index + 1] as string).startsWith('$ ')) {
      output.push(lines[++index] as string);
    }
    index++;
    while (output.length > 0 && output[output.length - 1] === '') output.pop();
    examples.push({ command, line, expected: printedAnswer(output) });
  }
  return examples;
}

function printedAnswer(output: readonly string[]): PrintedAnswer {
  if (!output[0]?.startsWith('HTTP/')) {
    return { statusLine: undefined, headers: [], body: output.join('\n') };
  }
  const headers: [string, string][] = [];
  let index = 1;
  for (; index < output.length; index++) {
    const header = /^([A-Za-z0-9-]+): (.*)$/.exec(output[index] as string);
    if (!header) break;
    headers.push([header[1] as string, header[2] as string]);
  }
  if (index < output.length && output[index] !== '') {
    throw new Error(`"${output[index]}": a blank line must separate the headers from the body`);
  }
  return { statusLine: output[0], headers, body: output.slice(index + 1).join('\n') };
}

/** A printed value as a pattern: equal text, with each `…` matching one run of a value. */
function pattern(printed: string): RegExp {
  const parts = printed
    .split(PLACEHOLDER)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^"\\n]+')}$`);
}

export function matchesPrinted(printed: string, actual: string): boolean {
  return pattern(printed).test(actual);
}

/** How a real answer differs from what the example prints; empty when it does not. */
export function differences(
  expected: PrintedAnswer,
  actual: { statusLine: string; headers: ReadonlyMap<string, string>; body: string },
  showsHeaders: boolean,
): string[] {
  const found: string[] = [];
  if (showsHeaders !== (expected.statusLine !== undefined)) {
    found.push(
      showsHeaders
        ? 'the command has -i, so the example must show the status line'
        : 'the example shows a status line, but the command has no -i',
    );
  }
  if (expected.statusLine !== undefined && expected.statusLine !== actual.statusLine) {
    found.push(`status line: printed "${expected.statusLine}", got "${actual.statusLine}"`);
  }
  for (const [name, value] of expected.headers) {
    const got = actual.headers.get(name.toLowerCase());
    if (got === undefined || !matchesPrinted(value, got)) {
      found.push(
        `${name}: printed "${value}", got ${got === undefined ? 'no such header' : `"${got}"`}`,
      );
    }
  }
  if (!matchesPrinted(expected.body, actual.body)) {
    found.push(`body: printed\n${expected.body}\ngot\n${actual.body}`);
  }
  return found;
}
