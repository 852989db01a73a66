import { Annotations } from '../../core/api.js';
import { RESIZE_REQUESTED_REASON, parseResizeRecord, resizeEventMessage, resizeRecordAnnotations, resizeRecordFor } from '../../core/resize-record.js';

describe('resize records', () => {
  const record = { from: 3, to: 5, requestedBy: 'alice', requestedAt: '2026-11-24T19:00:00Z' };

  it('round-trips through the four annotations', () => {
    const annotations = resizeRecordAnnotations(record);
    expect(annotations).toEqual({
      [Annotations.intendedSize]: '5', [Annotations.previousSize]: '3',
      [Annotations.requestedBy]: 'alice', [Annotations.requestedAt]: '2026-11-24T19:00:00Z',
    });
    expect(parseResizeRecord({ ...annotations, unrelated: 'x' })).toEqual(record);
  });

  it('is not a record without both sizes', () => {
    expect(parseResizeRecord(undefined)).toBeUndefined();
    expect(parseResizeRecord({ [Annotations.intendedSize]: '3' })).toBeUndefined();
    expect(parseResizeRecord({ [Annotations.intendedSize]: 'five', [Annotations.previousSize]: '3' })).toBeUndefined();
    expect(parseResizeRecord({ [Annotations.intendedSize]: '5', [Annotations.previousSize]: '-3' })).toBeUndefined();
  });

  it('reads empty requester and time as absent', () => {
    expect(parseResizeRecord({ [Annotations.intendedSize]: '5', [Annotations.previousSize]: '3', [Annotations.requestedBy]: '' })).toEqual({ from: 3, to: 5 });
  });

  it('picks the newest ResizeRequested Event for the wanted size', () => {
    const ev = (reason: string, from: number, to: number, by: string, at: string) =>
      ({ reason, metadata: { annotations: resizeRecordAnnotations({ from, to, requestedBy: by, requestedAt: at }) } });
    const events = [
      ev(RESIZE_REQUESTED_REASON, 1, 5, 'old', '2026-11-24T18:00:00Z'),
      ev(RESIZE_REQUESTED_REASON, 3, 5, 'new', '2026-11-24T19:00:00Z'),
      ev(RESIZE_REQUESTED_REASON, 5, 3, 'other-size', '2026-11-24T20:00:00Z'),
      ev('SomethingElse', 4, 5, 'other-reason', '2026-11-24T21:00:00Z'),
    ];
    expect(resizeRecordFor(events, 5)?.requestedBy).toBe('new');
    expect(resizeRecordFor(events, 3)?.requestedBy).toBe('other-size');
    expect(resizeRecordFor(events, 7)).toBeUndefined();
  });

  it('never takes a request older than the resize it would replace (an old request for the same size)', () => {
    const ev = (to: number, by: string, at: string) => ({ reason: RESIZE_REQUESTED_REASON, metadata: { annotations: resizeRecordAnnotations({ from: 3, to, requestedBy: by, requestedAt: at }) } });
    const events = [ev(5, 'first', '2026-11-24T18:00:00.000Z'), ev(5, 'second', '2026-11-24T19:00:00.500Z')];
    expect(resizeRecordFor(events, 5, '2026-11-24T18:30:00.000Z')?.requestedBy).toBe('second');
    expect(resizeRecordFor(events, 5, '2026-11-24T19:00:00.500Z')).toBeUndefined();
  });

  it('says who asked in the Event message', () => {
    expect(resizeEventMessage(record, '/scale')).toBe('resize 3 -> 5 requested by alice via /scale');
    expect(resizeEventMessage({ from: 1, to: 3 }, '/scale')).toBe('resize 1 -> 3 requested by an unknown user via /scale');
  });
});
