import { parse } from 'shell-quote';

/** The HTTP request a documented `curl` command makes, and how curl would print the answer. */
export interface CurlRequest {
  readonly method: string;
  /** The path and query, as sent: `/api/user/13AE742?version=1`. */
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string | undefined;
  /** `-i`: the status line and headers are printed before the body. */
  readonly showsHeaders: boolean;
}

/** The one server the documents' examples talk to; the test points it at its own gateway. */
export const DOCUMENTED_ORIGIN = 'localhost:8080';

/**
 * Reads a `curl` command as the documents write it. Only the options they use are known
 * (-s -S -i -X -H -d and their long forms); anything else is refused, so an example never runs
 * differently here than in a shell.
 */
export function parseCurl(command: string): CurlRequest {
  const words = parse(command).map((word) => {
    if (typeof word !== 'string') {
      throw new Error(
        `"${command}": only a plain curl command can be replayed, not ${JSON.stringify(word)}`,
      );
    }
    return word;
  });
  if (words[0] !== 'curl') throw new Error(`"${command}" is not a curl command`);

  let method: string | undefined;
  let url: string | undefined;
  let body: string | undefined;
  let showsHeaders = false;
  const headers: [string, string][] = [];
  for (let index = 1; index < words.length; index++) {
    const word = words[index] as string;
    const value = (): string => {
      const next = words[++index];
      if (next === undefined) throw new Error(`"${command}": ${word} needs a value`);
      return next;
    };
    if (word === '-X' || word === '--request') method = value();
    else if (word === '-H' || word === '--header') {
      const header = value();
      const colon = header.indexOf(':');
      if (colon <= 0) throw new Error(`"${command}": "${header}" is not a header`);
      headers.push([header.slice(0, colon).trim(), header.slice(colon + 1).trim()]);
    } else if (word === '-d' || word === '--data' || word === '--data-raw') {
      body = value();
      // curl reads `-d @file` from the file; an example must show its body.
      if (word !== '--data-raw' && body.startsWith('@')) {
        throw new Error(`"${command}": a body read from a file (${body}) is not replayed`);
      }
    } else if (word === '--include') showsHeaders = true;
    else if (word === '--silent' || word === '--show-error') continue;
    else if (/^-[siS]+$/.test(word)) showsHeaders ||= word.includes('i');
    else if (word.startsWith('-'))
      throw new Error(`"${command}": the option ${word} is not replayed`);
    else if (url === undefined) url = word;
    else throw new Error(`"${command}": a second URL ${word}`);
  }
  if (url === undefined) throw new Error(`"${command}" names no URL`);
  const withoutScheme = url.replace(/^http:\/\//, '');
  if (!withoutScheme.startsWith(`${DOCUMENTED_ORIGIN}/`)) {
    throw new Error(`"${command}": examples talk to ${DOCUMENTED_ORIGIN}, not ${url}`);
  }
  // As curl does: a body without -X is a POST, and form-encoded unless a Content-Type is given.
  if (body !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-type')) {
    headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  }
  return {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    target: withoutScheme.slice(DOCUMENTED_ORIGIN.length),
    headers,
    body,
    showsHeaders,
  };
}
