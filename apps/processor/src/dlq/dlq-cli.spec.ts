import { DLQ_HEADERS } from '@tokenmeter/contracts';
import { parseDlqArgs } from './dlq-cli';
import { matches, REPLAYED_FROM_HEADER, replayMessage, toRecord } from './dlq-tool';

describe('parseDlqArgs', () => {
  it('reads the command and its options', () => {
    expect(parseDlqArgs(['replay', '--error-class', 'tokenmeter.MalformedJson', '--limit', '5', '--dry-run'])).toEqual({
      command: 'replay',
      filter: { errorClass: 'tokenmeter.MalformedJson' },
      limit: 5,
      json: false,
      dryRun: true,
    });
  });

  it('refuses unknown commands, options and bad values with the usage', () => {
    expect(() => parseDlqArgs([])).toThrow(/usage: npm run dlq/);
    expect(() => parseDlqArgs(['list', '--frobnicate'])).toThrow(/unknown option --frobnicate/);
    expect(() => parseDlqArgs(['list', '--limit', '0'])).toThrow(/--limit must be a positive integer/);
    expect(() => parseDlqArgs(['list', '--error-class'])).toThrow(/--error-class needs a value/);
  });
});

describe('dead letter records', () => {
  const letter = toRecord(1, {
    offset: '7',
    key: Buffer.from('acme|llama|n1'),
    value: Buffer.from('{"bad":'),
    timestamp: '0',
    attributes: 0,
    headers: {
      schema: Buffer.from('tokens.v1'),
      traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
      [DLQ_HEADERS.originalTopic]: Buffer.from('telemetry.tokens.v1'),
      [DLQ_HEADERS.originalPartition]: Buffer.from('4'),
      [DLQ_HEADERS.originalOffset]: Buffer.from('1234'),
      [DLQ_HEADERS.errorClass]: Buffer.from('tokenmeter.MalformedJson'),
      [DLQ_HEADERS.errorMessage]: Buffer.from('message value is not valid JSON'),
      [DLQ_HEADERS.errorStage]: Buffer.from('VALIDATE'),
    },
  });

  it('exposes the origin and the error', () => {
    expect(letter).toMatchObject({
      originalTopic: 'telemetry.tokens.v1',
      originalPartition: '4',
      originalOffset: '1234',
      errorClass: 'tokenmeter.MalformedJson',
    });
    expect(matches(letter, { errorClass: 'tokenmeter.MalformedJson' })).toBe(true);
    expect(matches(letter, { originalTopic: 'telemetry.gpu.v1' })).toBe(false);
  });

  it('replays the original key, value and headers, without the error headers, with provenance', () => {
    const message = replayMessage(letter, 'telemetry.dlq.v1');
    expect(message.key?.toString()).toBe('acme|llama|n1');
    expect(message.value?.toString()).toBe('{"bad":');
    expect(message.headers).toEqual({
      schema: 'tokens.v1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      [REPLAYED_FROM_HEADER]: 'telemetry.dlq.v1/1/7',
    });
  });
});
