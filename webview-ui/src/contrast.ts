/**
 * Colour arithmetic for readable text on coloured cells (WCAG 2 relative luminance and contrast
 * ratio). The confusion matrix paints each cell with a theme colour mixed into the editor
 * background; the text colour is then chosen from the cell's actual colour, so it reads at 4.5:1 or
 * better in light, dark and high-contrast themes alike. Pure, so it is unit-tested.
 */

export type Rgb = readonly [number, number, number];

/** `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb(r, g, b)` or `rgba(r, g, b, a)`; alpha is returned apart. */
export function parseColor(text: string): { rgb: Rgb; alpha: number } | undefined {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m) {
    const h = m[1];
    if (h.length === 3 || h.length === 4) {
      const v = [...h].map((c) => parseInt(c + c, 16));
      return { rgb: [v[0], v[1], v[2]], alpha: h.length === 4 ? v[3] / 255 : 1 };
    }
    if (h.length === 6 || h.length === 8) {
      const v = [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16));
      return { rgb: [v[0], v[1], v[2]], alpha: h.length === 8 ? v[3] / 255 : 1 };
    }
    return undefined;
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/.exec(s);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return { rgb: [Number(m[1]), Number(m[2]), Number(m[3])], alpha: Math.min(1, Math.max(0, a)) };
  }
  return undefined;
}

/** `fg` with `alpha` painted over the opaque `bg`. */
export function over(fg: Rgb, alpha: number, bg: Rgb): Rgb {
  return [0, 1, 2].map((i) => Math.round(fg[i] * alpha + bg[i] * (1 - alpha))) as unknown as Rgb;
}

/** WCAG 2 relative luminance, 0 (black) to 1 (white). */
export function luminance(c: Rgb): number {
  const lin = (v: number): number => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

/** WCAG 2 contrast ratio, 1 to 21. */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

export const BLACK: Rgb = [0, 0, 0];
export const WHITE: Rgb = [255, 255, 255];

/**
 * The first of `preferred` that reaches `min` contrast on `bg`, else black or white, whichever
 * contrasts more (one of them always reaches 4.58:1 on any colour).
 */
export function readableText(bg: Rgb, preferred: Rgb[] = [], min = 4.5): Rgb {
  for (const c of preferred) if (contrastRatio(c, bg) >= min) return c;
  return contrastRatio(BLACK, bg) >= contrastRatio(WHITE, bg) ? BLACK : WHITE;
}

export const cssRgb = (c: Rgb): string => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;

/**
 * `color` made to stand out from `background` by at least `min`:1 (WCAG's 3:1 for graphics), mixed
 * toward white on a dark background or black on a light one as little as needed. Dark Modern's
 * `charts.orange` is a dark brown (#613214) that drew a compared run's line and swatch at 1.5:1.
 */
export function legibleOn(color: string, background: string, min = 3): string {
  return legibleOf([color], background, min);
}

/**
 * The first of `colors` that stands out from `background` by `min`:1 as it is, else the first lifted
 * as legibleOn does. A theme's chart colour that fails (Dark Modern's orange, #613214) gives way to the
 * usual orange before it is mixed toward white into a light brown.
 */
export function legibleOf(colors: readonly string[], background: string, min = 3): string {
  const b = parseColor(background);
  if (!b) return colors[0];
  for (const color of colors) {
    const c = parseColor(color);
    if (!c) continue;
    const fg = c.alpha < 1 ? over(c.rgb, c.alpha, b.rgb) : c.rgb;
    if (contrastRatio(fg, b.rgb) >= min) return cssRgb(fg);
  }
  return lift(colors[0], b.rgb, min);
}

function lift(color: string, bg: Rgb, min: number): string {
  const c = parseColor(color);
  if (!c) return color;
  const fg = c.alpha < 1 ? over(c.rgb, c.alpha, bg) : c.rgb;
  const target = contrastRatio(bg, WHITE) > contrastRatio(bg, BLACK) ? WHITE : BLACK;
  for (let t = 0.05; t <= 1; t += 0.05) {
    const mixed: Rgb = [0, 1, 2].map((k) => Math.round(fg[k] + (target[k] - fg[k]) * t)) as unknown as Rgb;
    if (contrastRatio(mixed, bg) >= min) return cssRgb(mixed);
  }
  return cssRgb(target);
}
