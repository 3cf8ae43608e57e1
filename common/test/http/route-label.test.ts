import { canonicalRoute } from '@user-service/common/http';

describe('canonicalRoute', () => {
  const aliases = { '/api/users': '/api/user' };

  it('counts an alias with the route it stands for', () => {
    expect(canonicalRoute('/api/users/:id', aliases)).toBe('/api/user/:id');
    expect(canonicalRoute('/api/users/:id/events', aliases)).toBe('/api/user/:id/events');
    expect(canonicalRoute('/api/users', aliases)).toBe('/api/user');
  });

  it('maps an alias only as a whole path segment', () => {
    expect(canonicalRoute('/api/usersx/:id', aliases)).toBe('/api/usersx/:id');
    expect(canonicalRoute('/api/stats/users', aliases)).toBe('/api/stats/users');
  });

  it('drops a trailing slash, keeping the root (paths are case-sensitive, so case is kept)', () => {
    expect(canonicalRoute('/api/user/')).toBe('/api/user');
    expect(canonicalRoute('/api/users/', aliases)).toBe('/api/user');
    expect(canonicalRoute('/')).toBe('/');
  });

  it('leaves requests that matched no route as they are', () => {
    expect(canonicalRoute('unmatched', aliases)).toBe('unmatched');
  });
});
