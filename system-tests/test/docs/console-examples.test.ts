import { differences, examplesOf } from './console-examples';
import { parseCurl } from './curl-command';

const BLOCK = [
  `$ curl -si -X PUT localhost:8080/api/user/ -H 'content-type: application/json' \\`,
  `    -H 'If-Match: "1"' -d '{"id":"A","group":2}'`,
  'HTTP/1.1 200 OK',
  'ETag: "2"',
  '',
  '{"id":"A","name":"Ada","group":2,"at":"…"}',
  '',
  '$ curl -s localhost:8080/api/user/A/events',
  '[]',
  '',
].join('\n');

const answer = (body: string, etag = '"2"') => ({
  statusLine: 'HTTP/1.1 200 OK',
  headers: new Map([
    ['etag', etag],
    ['x-request-id', 'r1'],
  ]),
  body,
});

describe('console examples: how they are read and compared', () => {
  const [put, events] = examplesOf(BLOCK, 10);

  it('reads a command over continued lines, and what it prints up to the next command', () => {
    expect(put?.line).toBe(11);
    expect(parseCurl(put?.command ?? '')).toEqual({
      method: 'PUT',
      target: '/api/user/',
      headers: [
        ['content-type', 'application/json'],
        ['If-Match', '"1"'],
      ],
      body: '{"id":"A","group":2}',
      showsHeaders: true,
    });
    expect(put?.expected).toEqual({
      statusLine: 'HTTP/1.1 200 OK',
      headers: [['ETag', '"2"']],
      body: '{"id":"A","name":"Ada","group":2,"at":"…"}',
    });
    expect(events?.expected).toEqual({ statusLine: undefined, headers: [], body: '[]' });
  });

  it('accepts an answer equal to the example, with … standing for one value and unshown headers ignored', () => {
    const real = answer('{"id":"A","name":"Ada","group":2,"at":"2026-12-06T18:00:00.000Z"}');
    expect(differences(put!.expected, real, true)).toEqual([]);
  });

  it('refuses a different body, a different shown header, and … standing for structure', () => {
    expect(
      differences(put!.expected, answer('{"id":"A","name":"Bob","group":2,"at":"x"}'), true),
    ).toHaveLength(1);
    expect(
      differences(put!.expected, answer('{"id":"A","name":"Ada","group":2,"at":"x"}', '"3"'), true),
    ).toHaveLength(1);
    expect(
      differences(
        put!.expected,
        answer('{"id":"A","name":"Ada","group":2,"at":"x","more":"y"}'),
        true,
      ),
    ).toHaveLength(1);
  });

  it('refuses a status line shown without -i, and options it would not replay faithfully', () => {
    expect(differences(put!.expected, answer('{}'), false)).toContain(
      'the example shows a status line, but the command has no -i',
    );
    expect(() => parseCurl('curl -sL localhost:8080/api/user')).toThrow(/-sL/);
    expect(() => parseCurl('curl -s example.com/api/user')).toThrow(/localhost:8080/);
    expect(() => parseCurl('curl -s localhost:8080/api/user | jq')).toThrow(/plain curl/);
    expect(() => parseCurl('curl -s localhost:8080/api/user -d @user.json')).toThrow(/file/);
  });
});
