import { created, eventsFor, eventsWith, fieldsFor } from '@user-service/test-support';
import { toEvent, toEventDocument } from '../../../src/store/mongo/event-documents';
import type { EventDocument } from '../../../src/store/mongo/schema';

describe('event documents', () => {
  it('stores the request id, and reads the event back as it was', () => {
    const [event] = eventsWith('ada', 0, { requestId: 'req-1' }, created(fieldsFor(1)));
    const document = toEventDocument(event!);
    expect(document.requestId).toBe('req-1');
    expect(toEvent(document)).toEqual(event);
  });

  it('stores an event without a request id as null, and reads it back so', () => {
    const [event] = eventsFor('ada', 0, created(fieldsFor(1)));
    const document = toEventDocument(event!);
    expect(document.requestId).toBeNull();
    expect(toEvent(document)).toEqual(event);
  });

  it.each([
    ['without the field, as stored before it was kept', undefined],
    ['with a number', 42],
    ['with an object', { id: 'req-1' }],
  ])('reads a document %s as having no request id', (_, requestId) => {
    const [event] = eventsFor('ada', 0, created(fieldsFor(1)));
    const document: Partial<EventDocument> = toEventDocument(event!);
    if (requestId === undefined) delete document.requestId;
    else Object.assign(document, { requestId });
    const stored = document as EventDocument;
    expect('requestId' in stored).toBe(requestId !== undefined);
    expect(toEvent(stored).requestId).toBeNull();
  });
});
