// CSV loader throughput: in-memory (`loadCsv`) vs streaming (`csvDataset`, two passes, batches of
// 256), on a generated numeric table, plus the same table with every text cell quoted (which takes
// the csv-parse path instead of the quote-free fast path). A raw read + strict UTF-8 decode of the
// same file is the baseline in the same process, so the ratios hold on a loaded or slower machine.
//
//   node bench/run.mjs csvLoader [megabytes=100]        (from the repository root)
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { csvDataset, loadCsv } from '../src/trainer/data/csv';

type TF = typeof import('@tensorflow/tfjs');
const tf = createRequire(path.join(process.cwd(), 'package.json'))('@tensorflow/tfjs') as TF;

function generate(file: string, bytes: number, quoted: boolean): number {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,cat,label\n');
  let size = 0;
  let i = 0;
  while (size < bytes) {
    const parts: string[] = [];
    for (let k = 0; k < 5000; k++, i++) {
      const r: string[] = [];
      for (let c = 0; c < 12; c++) r.push((((i * 7919 + c * 104729) % 100003) / 1000).toFixed(3));
      const cat = ['alpha', 'beta, gamma', 'delta'][i % 3];
      parts.push(`${r.join(',')},${quoted ? `"${cat}"` : cat.replace(', ', '-')},${i % 5}`);
    }
    const s = parts.join('\n') + '\n';
    fs.writeSync(fd, s);
    size += s.length;
  }
  fs.closeSync(fd);
  return i;
}

async function main() {
  await tf.setBackend('cpu');
  const mb = Number(process.argv[2] ?? 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-bench-csv-'));
  const rows: string[] = [];
  const row = (what: string, file: string, ms: number, n: number, rssMb?: number) => {
    const size = fs.statSync(file).size / 1e6;
    rows.push(`| ${what} | ${size.toFixed(0)} MB | ${(ms / 1000).toFixed(2)} s | ${(size / (ms / 1000)).toFixed(1)} MB/s | ${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s | ${rssMb === undefined ? '' : `+${rssMb.toFixed(0)} MB`} |`);
  };
  try {
    for (const quoted of [false, true]) {
      const file = path.join(dir, quoted ? 'quoted.csv' : 'plain.csv');
      const n = generate(file, mb * 1e6, quoted);
      const label = quoted ? 'quoted cells (csv-parse)' : 'unquoted (fast path)';

      let t = performance.now();
      const text = new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(file));
      row(`baseline: read + UTF-8 decode, ${label}`, file, performance.now() - t, n);
      void text.length;

      // Streaming first: the in-memory run leaves hundreds of MB of garbage that would skew its RSS.
      let rss = process.memoryUsage().rss;
      t = performance.now();
      const s = await csvDataset(tf, file, { batchSize: 256 });
      let seen = 0;
      let peak = 0;
      await s.dataset.forEachAsync((b) => {
        const { xs, ys } = b as { xs: import('@tensorflow/tfjs').Tensor; ys: import('@tensorflow/tfjs').Tensor };
        seen += xs.shape[0];
        tf.dispose([xs, ys]);
        if (seen % (256 * 64) === 0) peak = Math.max(peak, process.memoryUsage().rss);
      });
      row(`streaming: csvDataset pass 1 + pass 2, batch 256, ${label}`, file, performance.now() - t, seen, (Math.max(peak, process.memoryUsage().rss) - rss) / 1e6);
      rss = process.memoryUsage().rss;
      t = performance.now();
      const mem = loadCsv(file, { shuffle: false });
      row(`in memory: loadCsv, ${label}`, file, performance.now() - t, mem.schema.rows, (process.memoryUsage().rss - rss) / 1e6);

      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(`command: node bench/run.mjs csvLoader ${mb}\n`);
  console.log('| loader | file | time | MB/s | rows/s | RSS growth |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

void main();
