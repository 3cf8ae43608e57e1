import type { Duplex } from 'node:stream';
import { v4 as uuidv4 } from 'uuid';
import { problems } from './problem-catalog';
import type { HttpProblem } from './problem';

/** What node itself answers a request its parser refuses, by the parser's error code. */
const NODE_ANSWERS: Readonly<Record<string, string>> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/** A problem written straight on the socket, for what never reaches express; then closed. */
function problemBytes(problem: HttpProblem): string {
  const body = JSON.stringify(problem.toDetails());
  return [
    `HTTP/1.1 ${problem.status} ${problem.title}`,
    'Content-Type: application/problem+json',
    // As every problem: no cache may keep it (see cache-policy).
    'Cache-Control: no-store',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${uuidv4()}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Whether an answer to an earlier request on the socket has begun: then nothing may be written. */
function answering(socket: Duplex): boolean {
  const message: unknown = '_httpMessage' in socket ? socket._httpMessage : undefined;
  return (
    typeof message === 'object' &&
    message !== null &&
    'headersSent' in message &&
    message.headersSent === true
  );
}

/** A request line that is well-formed but for its method: `FOO /path HTTP/1.1`. */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}) [^ \r\n]+ HTTP\/\d\.\d\r?$/;

/** The method of a well-formed request line the parser refused for its method, else undefined. */
function unknownMethodOf(
  error: Error & { code?: string; rawPacket?: unknown },
): string | undefined {
  if (error.code !== 'HPE_INVALID_METHOD' || !Buffer.isBuffer(error.rawPacket)) return undefined;
  const line = error.rawPacket.toString('latin1').split('\n', 1)[0] ?? '';
  return REQUEST_LINE.exec(line)?.[1];
}

/**
 * Node's parser (llhttp) refuses a method it does not know before express sees the request, and
 * answers a bare 400. RFC 9110 §15.6.2 says 501 for a method the server does not implement, and
 * every error of ours is a problem: so that one is answered here, when the request line is
 * otherwise well-formed. Every other parser error (garbage, headers too large, too slow) is
 * answered as node answers it.
 */
export function answerUnreadableRequest(
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Duplex,
): void {
  if (socket.writable && !answering(socket)) {
    const method = unknownMethodOf(error);
    socket.write(
      method === undefined
        ? `HTTP/1.1 ${NODE_ANSWERS[error.code ?? ''] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`
        : problemBytes(problems.methodNotImplemented(method)),
    );
  }
  socket.destroy(error);
}

/** CONNECT (a tunnel) is nothing this service does: 501, and the connection closed. */
export function refuseConnect(socket: Duplex): void {
  socket.end(problemBytes(problems.methodNotImplemented('CONNECT')));
}
