import { labelValue } from '@user-service/common/observability';

describe('labelValue', () => {
  it('writes the code’s camelCase and kebab-case words in snake_case', () => {
    expect(labelValue('notFound')).toBe('not_found');
    expect(labelValue('circuit-open')).toBe('circuit_open');
    expect(labelValue('handler-failed')).toBe('handler_failed');
  });

  it('leaves snake_case and single words as they are', () => {
    expect(labelValue('key_reused')).toBe('key_reused');
    expect(labelValue('found')).toBe('found');
  });
});
