import type { IncomingMessage } from 'node:http';
import { setRequestTraceparent, traceparentOf } from './logging.module';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const OTHER = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function request(traceparent?: string): IncomingMessage {
  return { headers: traceparent === undefined ? {} : { traceparent } } as IncomingMessage;
}

describe('traceparentOf', () => {
  it("takes the caller's valid W3C header", () => {
    expect(traceparentOf(request(VALID))).toBe(VALID);
  });

  it('leaves out a header that is not a valid traceparent, so logs never carry arbitrary text', () => {
    expect(traceparentOf(request('hello\n{"level":60}'))).toBeUndefined();
    expect(traceparentOf(request())).toBeUndefined();
  });

  it('prefers the trace the handler settled on, so the access line matches the rest of the trace', () => {
    const req = request('not-a-trace');
    setRequestTraceparent(req, OTHER);
    expect(traceparentOf(req)).toBe(OTHER);
  });
});
