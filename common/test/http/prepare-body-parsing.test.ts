import iconv from 'iconv-lite';
import { prepareBodyParsing } from '@user-service/common/http';

// iconv-lite keeps its table of encodings on the module once a first codec is asked for; until
// then it is unset, and the first body the gateway reads would load it (see prepareBodyParsing).
const encodingsLoaded = () => (iconv as unknown as { encodings: unknown }).encodings != null;

describe('prepareBodyParsing', () => {
  it('loads the decoders the JSON parser reads bodies with before any body is read', () => {
    expect(encodingsLoaded()).toBe(false);
    prepareBodyParsing();
    expect(encodingsLoaded()).toBe(true);
  });
});
