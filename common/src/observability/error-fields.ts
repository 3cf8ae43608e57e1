/** How many causes deep a log line follows an error. */
const MAX_DEPTH = 4;

export interface ErrorFields {
  readonly name: string;
  readonly message: string;
  /** A driver or server error's number, e.g. 13 (Unauthorized) or 64 (write concern timeout). */
  readonly code?: number | string;
  readonly codeName?: string;
  /** The driver's labels, e.g. RetryableWriteError, TransientTransactionError. */
  readonly labels?: readonly string[];
  readonly cause?: ErrorFields;
}

/**
 * An error as a log line should carry it: name and message, a driver error's code, codeName and
 * labels, and the same for the error it wraps. Our errors say what failed ("MongoDB failed to
 * append"); only the cause says why (unreachable, unauthorized, not a replica set, a timeout).
 * No stack and no attached documents, so no user data beyond what a message holds, and the
 * logger masks email addresses in messages.
 */
export function errorFields(error: unknown, depth = 0): ErrorFields {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error) };
  const details = error as Error & { code?: unknown; codeName?: unknown; errorLabels?: unknown };
  const labels = Array.isArray(details.errorLabels)
    ? details.errorLabels.filter((label) => typeof label === 'string')
    : [];
  return {
    name: error.name,
    message: error.message,
    ...(typeof details.code === 'number' || typeof details.code === 'string'
      ? { code: details.code }
      : {}),
    ...(typeof details.codeName === 'string' ? { codeName: details.codeName } : {}),
    ...(labels.length > 0 ? { labels } : {}),
    ...(error.cause !== undefined && depth < MAX_DEPTH
      ? { cause: errorFields(error.cause, depth + 1) }
      : {}),
  };
}

/**
 * An error as one line of text: its message, or the thrown value itself when it has none. With
 * `stack`, the stack instead (it begins with the message), for a program's last words on stderr.
 * Not `instanceof Error`: errors of node's own modules may come from another realm (under jest, say).
 */
export function errorText(error: unknown, options: { readonly stack?: boolean } = {}): string {
  if (
    typeof error !== 'object' ||
    error === null ||
    !('message' in error) ||
    typeof error.message !== 'string'
  ) {
    return String(error);
  }
  if (options.stack && 'stack' in error && typeof error.stack === 'string') return error.stack;
  return error.message;
}
