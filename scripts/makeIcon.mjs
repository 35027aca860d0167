// Draws media/icon.png (128x128): a falling loss curve over a small network, in plain pixels so the
// icon is reproducible without an image editor. Run: node scripts/makeIcon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const S = 128;
const px = new Float32Array(S * S * 4);
const blend = (x, y, [r, g, b], a) => {
  if (x < 0 || y < 0 || x >= S || y >= S) return;
  const i = (y * S + x) * 4;
  px[i] = px[i] * (1 - a) + r * a; px[i + 1] = px[i + 1] * (1 - a) + g * a; px[i + 2] = px[i + 2] * (1 - a) + b * a;
  px[i + 3] = Math.max(px[i + 3], a);
};
// rounded background with a vertical gradient
for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
  const r = 22, dx = Math.max(r - x, x - (S - 1 - r), 0), dy = Math.max(r - y, y - (S - 1 - r), 0);
  const d = Math.hypot(dx, dy);
  const a = Math.min(1, Math.max(0, r - d + 0.5));
  const t = y / S;
  blend(x, y, [30 + 10 * t, 36 + 20 * t, 72 + 40 * t], a);
}
const disc = (cx, cy, rad, col) => {
  for (let y = Math.floor(cy - rad - 1); y <= cy + rad + 1; y++) for (let x = Math.floor(cx - rad - 1); x <= cx + rad + 1; x++) {
    const a = Math.min(1, Math.max(0, rad - Math.hypot(x - cx, y - cy) + 0.5)); if (a > 0) blend(x, y, col, a);
  }
};
const line = (x0, y0, x1, y1, w, col, alpha = 1) => {
  const n = Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2);
  for (let i = 0; i <= n; i++) { const t = i / n; disc(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, w / 2, col.map((c) => c), alpha); }
};
// network: 3 layers of nodes, faint edges
const layers = [[30, 50, 70, 90].map((y) => [28, y]), [40, 64, 88].map((y) => [64, y]), [52, 76].map((y) => [100, y])];
for (let l = 0; l < 2; l++) for (const a of layers[l]) for (const b of layers[l + 1]) line(a[0], a[1], b[0], b[1], 1.2, [120, 140, 200]);
for (const layer of layers) for (const [x, y] of layer) disc(x, y, 6, [150, 170, 230]);
// loss curve falling from top-left to bottom-right, in orange
let prev = null;
for (let x = 14; x <= 114; x++) {
  const t = (x - 14) / 100;
  const y = 20 + 88 * (1 - Math.exp(-4 * t)) + 3 * Math.sin(x / 3) * (1 - t);
  if (prev) line(prev[0], prev[1], x, y, 5, [255, 160, 60]);
  prev = [x, y];
}
const raw = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 4; c++)
  raw[y * (S * 4 + 1) + 1 + x * 4 + c] = Math.round(Math.min(1, c === 3 ? px[(y * S + x) * 4 + 3] : px[(y * S + x) * 4 + c] / 255) * 255);
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); const td = Buffer.concat([Buffer.from(type), data]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([len, td, c]); };
const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(S, 0); ihdr.writeUInt32BE(S, 4); ihdr[8] = 8; ihdr[9] = 6;
writeFileSync('media/icon.png', Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
