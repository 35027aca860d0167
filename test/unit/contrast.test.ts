import { describe, expect, it } from 'vitest';
import { BLACK, contrastRatio, luminance, over, parseColor, readableText, WHITE, type Rgb } from '../../webview-ui/src/contrast';

describe('contrast', () => {
  it('parses the colour forms VS Code themes use', () => {
    expect(parseColor('#1e1e1e')).toEqual({ rgb: [30, 30, 30], alpha: 1 });
    expect(parseColor('#fff')).toEqual({ rgb: [255, 255, 255], alpha: 1 });
    expect(parseColor('#89d18580')!.alpha).toBeCloseTo(128 / 255);
    expect(parseColor('rgba(12, 34, 56, 0.5)')).toEqual({ rgb: [12, 34, 56], alpha: 0.5 });
    expect(parseColor('rgb(1 2 3 / 40%)')).toEqual({ rgb: [1, 2, 3], alpha: 0.4 });
    expect(parseColor('var(--x)')).toBeUndefined();
  });

  it('computes WCAG luminance and contrast', () => {
    expect(luminance(BLACK)).toBe(0);
    expect(luminance(WHITE)).toBeCloseTo(1);
    expect(contrastRatio(BLACK, WHITE)).toBeCloseTo(21);
    // #777 on white is the well-known 4.48:1.
    expect(contrastRatio([119, 119, 119], WHITE)).toBeCloseTo(4.48, 2);
  });

  it('the old diagonal cell of Dark+: light text on a strong green reads at 1.4:1; the chosen text reaches 4.5:1', () => {
    const dark: Rgb = [30, 30, 30];
    const green: Rgb = [137, 209, 133];
    const cell = over(green, 0.85, dark);
    expect(contrastRatio([204, 204, 204], cell)).toBeLessThan(1.6);
    expect(contrastRatio(readableText(cell, [[204, 204, 204]]), cell)).toBeGreaterThanOrEqual(4.5);
  });

  it('always finds text of 4.5:1 or better, preferring the theme colour when it is enough', () => {
    for (let r = 0; r <= 255; r += 17)
      for (let g = 0; g <= 255; g += 17)
        for (let b = 0; b <= 255; b += 51) {
          const bg: Rgb = [r, g, b];
          expect(contrastRatio(readableText(bg, [[204, 204, 204]]), bg)).toBeGreaterThanOrEqual(4.5);
        }
    expect(readableText([0, 0, 0], [[204, 204, 204]])).toEqual([204, 204, 204]);
  });
});
