export * from './problem';
export * from './request-context';
export * from './http-basics';
export * from './listen';
