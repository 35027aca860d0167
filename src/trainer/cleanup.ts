/**
 * Leftovers of killed runs, cleaned when a run starts in the same runs folder: temp checkpoint and
 * model folders, `run.json.*.tmp` files and the space reserve of runs whose process is gone. A
 * checkpoint swap cut between its two renames is finished first (the pointer names the complete
 * new copy), so nothing a reader could find is deleted. Runs whose process still lives, and files
 * newer than this process, are left alone. Never throws: a cleanup must not cost a run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_FILE, CHECKPOINT_KINDS, checkpointPointerName, CHECKPOINTS_DIR, parseCheckpointPointer, parseRunRecord, RUN_FILE } from '../protocol/runFolder';
import { fsyncDir, TMP_DIR_RE, TMP_FILE_RE, writeFileAtomic } from './durable';
import { isProcessAlive } from './processIdentity';
import { RESERVE_FILE } from './runWriter';

const pidAlive = (pid: number) => pid !== process.pid && isProcessAlive({ pid });

/** A temp made by another process that is gone, before this process started. */
function isLeftover(file: string, pid: number, processStart: number): boolean {
  if (pidAlive(pid)) return false;
  try {
    return fs.statSync(file).mtimeMs < processStart;
  } catch {
    return false;
  }
}

/** Finishes a checkpoint swap a kill cut short: the pointer's folder becomes checkpoints/<kind>/. */
function finishSwap(ckDir: string, kind: (typeof CHECKPOINT_KINDS)[number], processStart: number): void {
  const pointer = path.join(ckDir, checkpointPointerName(kind));
  let target: string;
  try {
    const parsed = parseCheckpointPointer(fs.readFileSync(pointer, 'utf8'));
    if (!parsed.ok) return;
    target = parsed.value.dir;
  } catch {
    return;
  }
  const dir = path.join(ckDir, kind);
  const from = path.join(ckDir, target);
  const m = TMP_DIR_RE.exec(target);
  if (target === kind || !m || !fs.existsSync(path.join(from, CHECKPOINT_FILE)) || !isLeftover(from, Number(m[1]), processStart)) return;
  const aside = path.join(ckDir, `.${kind}.tmp-${process.pid}-${Date.now()}-old`);
  if (fs.existsSync(dir)) fs.renameSync(dir, aside);
  fs.renameSync(from, dir);
  fsyncDir(ckDir);
  writeFileAtomic(pointer, JSON.stringify({ dir: kind }) + '\n');
  fs.rmSync(aside, { recursive: true, force: true });
}

/** Puts back `<name>` from `.<name>.tmp-*-old` when a swap without pointer was cut after moving it aside (the final model/). */
function restoreAside(parent: string, entries: string[], processStart: number): void {
  for (const e of entries) {
    const m = /^\.(.+)\.tmp-(\d+)-\d+-old$/.exec(e);
    if (!m) continue;
    const dir = path.join(parent, m[1]);
    const aside = path.join(parent, e);
    if (!fs.existsSync(dir) && isLeftover(aside, Number(m[2]), processStart)) {
      fs.renameSync(aside, dir);
      fsyncDir(parent);
    }
  }
}

/** Removes temp files and folders in `dir` left by dead processes; returns their paths. */
function removeTemps(dir: string, processStart: number): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  restoreAside(dir, entries, processStart);
  const removed: string[] = [];
  for (const e of fs.readdirSync(dir)) {
    const m = TMP_DIR_RE.exec(e) ?? TMP_FILE_RE.exec(e);
    if (!m) continue;
    const file = path.join(dir, e);
    if (!isLeftover(file, Number(m[1]), processStart)) continue;
    fs.rmSync(file, { recursive: true, force: true });
    removed.push(file);
  }
  return removed;
}

/** Cleans one run folder unless its process still runs; returns what was removed. */
export function cleanRunFolder(runDir: string, processStart = Date.now() - process.uptime() * 1000): string[] {
  const removed: string[] = [];
  try {
    let live = false;
    try {
      const parsed = parseRunRecord(fs.readFileSync(path.join(runDir, RUN_FILE), 'utf8'));
      if (parsed.ok && parsed.value.status === 'running') live = parsed.value.process === undefined || isProcessAlive(parsed.value.process);
    } catch {
      // no readable run.json: only temps of dead processes go, as for any folder
    }
    const ckDir = path.join(runDir, CHECKPOINTS_DIR);
    if (!live) for (const kind of CHECKPOINT_KINDS) finishSwap(ckDir, kind, processStart);
    removed.push(...removeTemps(ckDir, processStart), ...removeTemps(runDir, processStart));
    const reserve = path.join(runDir, RESERVE_FILE);
    if (!live && fs.existsSync(reserve)) {
      fs.rmSync(reserve, { force: true });
      removed.push(reserve);
    }
  } catch {
    // a folder changing under us or not ours to write: left as it is
  }
  return removed;
}

/** Cleans every run folder of `runsDir` (see cleanRunFolder); returns what was removed. */
export function cleanRunsFolder(runsDir: string): string[] {
  const processStart = Date.now() - process.uptime() * 1000;
  let names: string[];
  try {
    names = fs.readdirSync(runsDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const runDir = path.join(runsDir, name);
    try {
      if (!fs.statSync(runDir).isDirectory()) continue;
    } catch {
      continue;
    }
    removed.push(...cleanRunFolder(runDir, processStart));
  }
  return removed;
}
