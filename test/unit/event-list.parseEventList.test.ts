import { describe, expect, it } from 'vitest';
import { customEventId, parseEventList } from '../../activities/feed/event-list.ts';
import { FieldFormatError } from '../../activities/feed/field-format-error.ts';

describe('parseEventList', () => {
  it('parses comma-separated ids with optional numeric values', () => {
    expect(parseEventList('1,2,200=3.5,12')).toEqual([{ id: 1 }, { id: 2 }, { id: 200, value: 3.5 }, { id: 12 }]);
  });

  it('is empty for an empty column and skips empty items', () => {
    expect(parseEventList('')).toEqual([]);
    expect(parseEventList('100,,101,')).toEqual([{ id: 100 }, { id: 101 }]);
  });

  it('maps eventN names to feed ids (199+N up to 100, 19999+N above)', () => {
    expect(customEventId(1)).toBe(200);
    expect(customEventId(100)).toBe(299);
    expect(customEventId(101)).toBe(20100);
    expect(parseEventList('event5=2,event101')).toEqual([{ id: 204, value: 2 }, { id: 20100 }]);
  });

  it('does not split on an escaped comma: ^, stays inside the value', () => {
    // Without the caret layer "5" would be read as a second event id.
    expect(() => parseEventList('12,200=1^,5')).toThrow(/the value of event 200 is not a number/);
  });

  it('rejects ids and values that are not numbers, naming the column, not the value', () => {
    expect(() => parseEventList('1,purchase')).toThrow(FieldFormatError);
    expect(() => parseEventList('200=abc')).toThrow(/post_event_list: the value of event 200 is not a number/);
  });
});
