import { describe, expect, it } from 'vitest';
import { BLACK, contrastRatio, legibleOf, legibleOn, luminance, over, parseColor, readableText, WHITE, type Rgb } from '../../webview-ui/src/contrast';

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

describe('run colours on the theme background', () => {
  const ratio = (fg: string, bg: string) => contrastRatio(parseColor(fg)!.rgb, parseColor(bg)!.rgb);
  it('lifts a dark theme colour until it stands out at 3:1, and leaves a legible one alone', () => {
    // Dark Modern: charts.orange is #613214 on the editor's #1f1f1f (seen in the e2e screenshot).
    expect(ratio('#613214', '#1f1f1f')).toBeLessThan(1.6);
    const lifted = legibleOn('#613214', '#1f1f1f');
    expect(ratio(lifted, '#1f1f1f')).toBeGreaterThanOrEqual(3);
    expect(ratio(lifted, '#1f1f1f')).toBeLessThan(4); // as little as needed: still the same hue family
    const [r, g, b] = parseColor(lifted)!.rgb;
    expect(r).toBeGreaterThan(g);
    expect(g).toBeGreaterThan(b);
    expect(legibleOn('rgb(89, 164, 249)', '#1f1f1f')).toBe('rgb(89, 164, 249)');
    // The light themes' orange is 2.7:1 on white: darkened just past 3:1.
    expect(ratio('#d18616', '#ffffff')).toBeLessThan(3);
    const orange = legibleOn('#d18616', '#ffffff');
    expect(ratio(orange, '#ffffff')).toBeGreaterThanOrEqual(3);
    expect(parseColor(orange)!.rgb[0]).toBeGreaterThan(180);
  });
  it("prefers the slot's usual colour to lifting a theme colour that fails (Dark Modern's orange reads as orange)", () => {
    expect(legibleOf(['#613214', '#d18616'], '#1f1f1f')).toBe('rgb(209, 134, 22)');
    expect(ratio('#d18616', '#1f1f1f')).toBeGreaterThanOrEqual(3);
    // A legible theme colour is kept; when neither passes, the theme's own is lifted.
    expect(legibleOf(['rgb(89, 164, 249)', '#d18616'], '#1f1f1f')).toBe('rgb(89, 164, 249)');
    expect(legibleOf(['#d18616', '#e0a040'], '#ffffff')).toBe(legibleOn('#d18616', '#ffffff'));
  });
  it('darkens on a light background, and paints a translucent colour over the background first', () => {
    const onWhite = legibleOn('#ffe680', '#ffffff');
    expect(ratio(onWhite, '#ffffff')).toBeGreaterThanOrEqual(3);
    const translucent = legibleOn('rgba(209, 134, 22, 0.3)', '#1f1f1f');
    expect(ratio(translucent, '#1f1f1f')).toBeGreaterThanOrEqual(3);
    expect(legibleOn('not a colour', '#1f1f1f')).toBe('not a colour');
  });
});
