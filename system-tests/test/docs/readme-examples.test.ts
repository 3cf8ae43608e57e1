import { InMemoryStore } from '@user-service/common/store/memory';
import type { InProcessCluster } from '@user-service/launcher';
import { type OutgoingHttpHeaders, request } from 'node:http';
import { startTestSystem, untilAggregatorsReady } from '../test-system';
import { differences, examplesOf, type ConsoleExample } from './console-examples';
import { parseCurl, type CurlRequest } from './curl-command';
import { documentedFiles, fencedBlocks } from './markdown-files';

interface RealAnswer {
  statusLine: string;
  headers: ReadonlyMap<string, string>;
  body: string;
}

/** The headers curl sends: its own (Host, User-Agent, Accept, Content-Length), then the -H ones. */
function headersOf(curl: CurlRequest, host: string): OutgoingHttpHeaders {
  const own: [string, string | number][] = [
    ['Host', host],
    ['User-Agent', 'curl'],
    ['Accept', '*/*'],
  ];
  if (curl.body !== undefined) own.push(['Content-Length', Buffer.byteLength(curl.body)]);
  // A header given with -H replaces curl's own of that name, whatever its case.
  const byName = new Map(
    [...own, ...curl.headers].map(([name, value]) => [name.toLowerCase(), [name, value]] as const),
  );
  return Object.fromEntries(byName.values());
}

/** Sends what the curl command would send, and reads the answer as curl would print it. */
function send(gateway: string, curl: CurlRequest): Promise<RealAnswer> {
  const { hostname, port, host } = new URL(gateway);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { hostname, port, method: curl.method, path: curl.target, headers: headersOf(curl, host) },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('error', reject);
        response.on('end', () => {
          const headers = new Map<string, string>();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined)
              headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({
            statusLine: `HTTP/${response.httpVersion} ${response.statusCode} ${response.statusMessage}`,
            headers,
            body,
          });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(curl.body);
  });
}

const documentsWithExamples = documentedFiles()
  .map((file) => ({
    file,
    examples: fencedBlocks(file, 'console').flatMap(({ text, line }) => examplesOf(text, line)),
  }))
  .filter(({ examples }) => examples.length > 0);

describe('the documents’ console examples, replayed in order on a fresh STORE=memory system', () => {
  it('finds the README’s examples (a parser that found none would pass everything)', () => {
    const readme = documentsWithExamples.find(({ file }) => file === 'README.md');
    expect(readme?.examples.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(documentsWithExamples)('$file', ({ file, examples }) => {
    let system: InProcessCluster;

    beforeAll(async () => {
      // Problem types are absolute under the gateway's public base: the examples show what
      // `npm start` answers on its default port.
      system = await startTestSystem({
        store: new InMemoryStore(),
        publicBaseUrl: 'http://localhost:8080',
      });
      await untilAggregatorsReady(system, [0, 1, 2]);
    });

    afterAll(() => system.close());

    // One test per example, in the file's order: each one starts from what the ones before it did.
    it.each(examples.map((example: ConsoleExample) => [`${file}:${example.line}`, example]))(
      '%s prints what a real system answers',
      async (_where, example) => {
        const curl = parseCurl(example.command);
        const answer = await send(system.gateway.url, curl);
        expect(differences(example.expected, answer, curl.showsHeaders)).toEqual([]);
      },
    );
  });
});
