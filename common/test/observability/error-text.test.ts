import { errorText } from '@user-service/common/observability';
import { runInNewContext } from 'node:vm';

describe('errorText', () => {
  it("is an error's message", () => {
    expect(errorText(new TypeError('not a number'))).toBe('not a number');
  });

  it('is the thrown value itself when it is not an error', () => {
    expect(errorText('refused')).toBe('refused');
    expect(errorText(42)).toBe('42');
    expect(errorText(undefined)).toBe('undefined');
  });

  it("reads the message of an error from another realm (node's own modules under jest)", () => {
    expect(errorText(runInNewContext("new Error('ENOENT: no such file')"))).toBe(
      'ENOENT: no such file',
    );
  });

  it('gives the stack when asked, which begins with the message', () => {
    const error = new Error('boom');
    expect(errorText(error, { stack: true })).toBe(error.stack);
    expect(errorText('boom', { stack: true })).toBe('boom');
  });
});
