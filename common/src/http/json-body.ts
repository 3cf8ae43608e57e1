import express, { type RequestHandler } from 'express';
import iconv from 'iconv-lite';
import { refuseDeepNesting } from './nesting-limit';
import { problems } from './problem-catalog';

/** Parses JSON bodies of at most `limit`; anything but JSON is refused with 415. */
/** The largest body the API reads: a user is a few hundred bytes, so this is generous. */
export const API_BODY_LIMIT = '16kb';

export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    // req.is answers null for a request without a body, false for a body of another type.
    if (req.is('application/json') === false) {
      next(problems.bodyNotJson());
      return;
    }
    next();
  };
  return [
    requireJson,
    express.json({ limit, strict: false, type: 'application/json' }),
    refuseDeepNesting,
  ];
}

/**
 * Loads what the JSON parser decodes bodies with, for a process about to read bodies (the
 * gateway, at start). body-parser has raw-body decode every body through iconv-lite, whose first
 * decoder loads its whole table of encodings (some 20-50 ms here); otherwise the process's first
 * POST or PUT pays for it, and every request behind it waits.
 */
export function prepareBodyParsing(): void {
  iconv.getDecoder('utf-8');
}
