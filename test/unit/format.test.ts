import { describe, expect, test } from 'vitest';
import { formatCount, formatDuration, formatRate, formatSampleShape, formatShape, formatShapeCompact } from '../../src/protocol/format';

describe('shared formatters (CLI and panel)', () => {
  test('shapes: one notation with a named batch axis, several outputs, a fixed batch, a data set', () => {
    expect(formatShape([null, 24, 24, 8])).toBe('[batch, 24, 24, 8]');
    expect(formatShape([[null, 2], [null, 3, 1]])).toBe('[batch, 2] [batch, 3, 1]');
    expect(formatShape([32, null, 10])).toBe('[32, ?, 10]');
    expect(formatShape([null, 28, 28, 1], 'N')).toBe('[N, 28, 28, 1]');
    expect(formatShape([])).toBe('[]');
    expect(formatSampleShape([24, 24, 8])).toBe('[batch, 24, 24, 8]');
  });

  test('compact shapes drop the batch axis and join the rest with ×', () => {
    expect(formatShapeCompact([null, 24, 24, 8])).toBe('24×24×8');
    expect(formatShapeCompact([null, 10])).toBe('10');
    expect(formatShapeCompact([null, null, 16])).toBe('?×16');
    expect(formatShapeCompact([[null, 2], [null, 3, 1]])).toBe('2 3×1');
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
