import { describe, expect, test } from 'vitest';
import { formatCount, formatDuration, formatRate, formatShape } from '../../src/protocol/format';

describe('shared formatters (CLI and panel)', () => {
  test('shapes: one output, several outputs, a chosen separator', () => {
    expect(formatShape([null, 24, 24, 8])).toBe('[null,24,24,8]');
    expect(formatShape([[null, 2], [null, 3, 1]])).toBe('[null,2] [null,3,1]');
    expect(formatShape([null, 10], ', ')).toBe('[null, 10]');
    expect(formatShape([])).toBe('[]');
  });

  test('durations say when they are unknown, in the caller\'s words', () => {
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(undefined)).toBe('--:--');
    expect(formatDuration(-5, '–')).toBe('–');
  });

  test('counts and rates', () => {
    expect(formatCount(32896)).toBe('32,896');
    expect(formatRate(1234.4)).toBe('1234');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRate(undefined)).toBe('-');
  });
});
