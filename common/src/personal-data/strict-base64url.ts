const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The bytes `text` encodes in base64url, only when it is their one canonical encoding (no
 * padding, no characters of the standard alphabet or outside it, no stray bits in the last
 * character); undefined otherwise. Node's own decoder skips what it does not understand, so that
 * differently written values would open to the same plaintext (crypto review m1).
 */
export function strictBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
