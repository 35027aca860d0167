// Where Model Lab's trainer spends its time compared with a plain model.fit: both run under V8's
// CPU profiler (--cpu-prof) — the real trainer child (dist/trainer.js, started like TrainerProcess
// does, with the IPC channel) and bench/plainFit.js — on the example CNN. Only the steady-state
// window counts: from the end of epoch 1 to the end of the last epoch (epoch ends come from the
// `epoch` messages / plainFit's output, lined up with the profile through the process's time origin).
// Prints the share of profile time per kind of code (wasm kernels, tfjs JS, Model Lab's own code,
// Node internals such as fs and IPC, GC, idle) and the top functions outside wasm and tfjs.
// Usage: node bench/run.mjs trainerProfile [backend=wasm] [epochs=3]
import { execFileSync, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseTrainerToHost, type TrainerToHost } from '../src/protocol/trainer';

const root = path.resolve(__dirname, '..', '..');
const [backend = 'wasm', epochsArg = '3'] = process.argv.slice(2);
const epochs = +epochsArg;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function kindOf(n: ProfileNode): string {
  const { functionName: f, url } = n.callFrame;
  if (f === '(garbage collector)') return 'GC';
  if (f === '(idle)') return 'idle (event loop waiting)';
  if (f === '(program)') return 'V8/native (program)';
  if (url.startsWith('wasm://') || f.startsWith('wasm-function') || /^\$/.test(f)) return 'wasm kernels';
  if (url.includes('@tensorflow')) return 'tfjs JS';
  if (url.includes('/dist/trainer.js') || url.includes('/dist/bench/')) return 'Model Lab / bench JS';
  if (url.startsWith('node:')) return 'Node internals (fs, IPC, timers…)';
  if (url === '' && f) return `native: ${f}`;
  return 'other JS';
}

/** Self time (ms) per node id within [from, to] (µs, profile clock). */
function selfTimes(p: CpuProfile, from: number, to: number): Map<number, number> {
  const out = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i];
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample stands for the time until the next one
    if (t < from || t > to) continue;
    out.set(p.samples[i], (out.get(p.samples[i]) ?? 0) + dt / 1000);
  }
  return out;
}

function summarize(p: CpuProfile, from: number, to: number): { total: number; byKind: Map<string, number>; byFn: Map<string, number> } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const self = selfTimes(p, from, to);
  const byKind = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
    const n = nodes.get(id)!;
    const k = kindOf(n);
    total += ms;
    byKind.set(k, (byKind.get(k) ?? 0) + ms);
    if (k !== 'wasm kernels' && k !== 'tfjs JS') {
      const name = `${n.callFrame.functionName || '(anonymous)'} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
      byFn.set(name, (byFn.get(name) ?? 0) + ms);
    }
  }
  return { total, byKind, byFn };
}

function newestProfile(dir: string): CpuProfile {
  const f = fs.readdirSync(dir).filter((x) => x.endsWith('.cpuprofile')).map((x) => path.join(dir, x));
  f.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return JSON.parse(fs.readFileSync(f[0], 'utf8')) as CpuProfile;
}

async function profileTrainer(dir: string): Promise<{ p: CpuProfile; window: [number, number] }> {
  const profDir = path.join(dir, 'lab');
  const child = fork(path.join(root, 'dist', 'trainer.js'), [], { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profDir}`], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let timeOrigin = 0;
  const epochEnds: number[] = [];
  child.on('message', (raw) => {
    const m = parseTrainerToHost(raw) as TrainerToHost | undefined;
    if (m?.type === 'ready' && m.timings) timeOrigin = m.timings.timeOrigin;
    if (m?.type === 'epoch') epochEnds.push(m.point.time);
  });
  child.send({ type: 'start', spec: { modelFile: path.join(root, 'examples', 'mnist-cnn.model.ts'), runsDir: path.join(dir, 'runs'), backend, overrides: { epochs } } });
  await new Promise((r) => child.on('exit', r));
  if (!timeOrigin) throw new Error('the trainer sent no timings (rebuild dist/trainer.js: node esbuild.mjs)');
  const p = newestProfile(profDir);
  return { p, window: [p.startTime + (epochEnds[0] - timeOrigin) * 1000, p.startTime + (epochEnds[epochEnds.length - 1] - timeOrigin) * 1000] };
}

function profilePlain(dir: string): { p: CpuProfile; window: [number, number] } {
  const profDir = path.join(dir, 'plain');
  const out = execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, path.join(__dirname, 'plainFit.js'), backend, String(epochs)], { encoding: 'utf8', cwd: root });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { timeOrigin: number; epochEnds: number[] };
  const p = newestProfile(profDir);
  // plainFit exits right after fit, so its window is lined up from the profile's end (its profile
  // start is not the time origin: lined up from the start, the window took in the MNIST decode).
  const span = (r.epochEnds[r.epochEnds.length - 1] - r.epochEnds[0]) * 1000;
  return { p, window: [p.endTime - span, p.endTime] };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modellab-prof-'));
  const load = os.loadavg()[0];
  const plain = profilePlain(dir);
  const lab = await profileTrainer(dir);
  const sp = summarize(plain.p, ...plain.window);
  const sl = summarize(lab.p, ...lab.window);
  console.log(`${os.cpus().length} cores, Node ${process.version}, load average ${load.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}; backend ${backend}; example CNN, ${epochs} epochs; window = end of epoch 1 → end of epoch ${epochs}`);
  console.log(`window: plain ${(sp.total / 1000).toFixed(2)} s, Model Lab ${(sl.total / 1000).toFixed(2)} s of profile time (same number of samples trained)`);
  console.log('| kind of code | plain model.fit: ms (share) | Model Lab trainer: ms (share) |');
  console.log('|---|---|---|');
  const kinds = [...new Set([...sp.byKind.keys(), ...sl.byKind.keys()])].sort((a, b) => (sl.byKind.get(b) ?? 0) - (sl.byKind.get(a) ?? 0));
  const cell = (m: Map<string, number>, k: string, total: number) => `${(m.get(k) ?? 0).toFixed(0)} (${(((m.get(k) ?? 0) / total) * 100).toFixed(1)}%)`;
  for (const k of kinds) console.log(`| ${k} | ${cell(sp.byKind, k, sp.total)} | ${cell(sl.byKind, k, sl.total)} |`);
  console.log('\nModel Lab trainer, top functions outside wasm and tfjs (self ms in the window):');
  for (const [name, ms] of [...sl.byFn].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${name}`);
  console.log('plain model.fit, top functions outside wasm and tfjs:');
  for (const [name, ms] of [...sp.byFn].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
