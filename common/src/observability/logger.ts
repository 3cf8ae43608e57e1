import winston from 'winston';

export type Logger = winston.Logger;

export interface LoggerOptions {
  readonly service: string;
  readonly level?: string;
  /** Fields written on every line, e.g. the aggregator index. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Where lines go; tests pass a stream to read them back. Defaults to stdout. */
  readonly stream?: NodeJS.WritableStream;
}

const EMAIL = /[^\s@"'<>]+@[^\s@"'<>]+\.[^\s@"'<>]+/g;

/**
 * Email addresses are personal data: at every level, debug included, they are masked wherever
 * they appear in a line, nested fields (an error's causes) included, so a careless log call
 * cannot leak them. (Logs are copies outside the reach of erasure: nothing personal may be in
 * them.)
 */
const maskEmails = winston.format((info) => {
  for (const key of Object.keys(info)) info[key] = masked(info[key], 0);
  return info;
});

/** A copy with every email address in its strings masked; the caller's objects are left as they are. */
function masked(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, '[email]');
  if (typeof value !== 'object' || value === null || depth > 5 || value instanceof Date)
    return value;
  if (Array.isArray(value)) return value.map((item) => masked(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, masked(item, depth + 1)]),
  );
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: { service: options.service, ...options.fields },
    format: winston.format.combine(maskEmails(), winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}
