export * from './ports';
export * from './errors';
export * from './memory/memory-store';
export * from './memory/memory-event-store';
export * from './mongo/mongo-store';
export * from './mongo/schema';
export * from './user-state';
export * from './open-store';
