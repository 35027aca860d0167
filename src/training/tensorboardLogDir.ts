/**
 * A TensorBoard log folder from disk (read by the host for the Runs view and the panel): finds the event files under it and hands their bytes to the
 * pure reader in src/protocol/tfevents.ts. Symbolic links are not followed, so a log folder cannot
 * lead the reader outside itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isEventFileName, parseEventFile, runsFromEventFiles, runViewsFromTfEvents, type EventFileContents, type TfEventsRun } from '../protocol/tfevents';
import type { RunView } from '../protocol/webview';

/** Folders deeper than this under the log folder are not searched (Keras nests 3: logs/fit/<time>/train). */
const MAX_DEPTH = 8;
/** An event file larger than this is skipped with a note: it would not fit in one buffer. */
const MAX_FILE_BYTES = 1024 ** 3;

/** Event files under `logDir`, as `/`-separated paths relative to it, sorted. */
export function findEventFiles(logDir: string): string[] {
  const found: string[] = [];
  const walk = (rel: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(logDir, rel), { withFileTypes: true });
    } catch (e) {
      if (depth === 0) throw e;
      return; // unreadable sub-folder: the others still count
    }
    for (const d of entries) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory() && depth < MAX_DEPTH) walk(childRel, depth + 1);
      else if (d.isFile() && isEventFileName(d.name)) found.push(childRel);
    }
  };
  walk('', 0);
  return found.sort();
}

/** Every folder with event files under `logDir` as a run with its scalars by tag. */
export function readTensorBoardLogDir(logDir: string): TfEventsRun[] {
  const st = fs.statSync(logDir);
  if (!st.isDirectory()) throw new Error(`${logDir} is not a folder of TensorBoard logs`);
  const files = findEventFiles(logDir).map((rel) => {
    const file = path.join(logDir, rel);
    let contents: EventFileContents;
    const size = fs.statSync(file).size;
    if (size > MAX_FILE_BYTES) contents = { scalars: [], texts: [], problem: `${file}: ${size} bytes, more than the ${MAX_FILE_BYTES}-byte limit; skipped` };
    else contents = parseEventFile(new Uint8Array(fs.readFileSync(file)), file);
    return { path: rel, contents };
  });
  return runsFromEventFiles(files);
}

/** The log folder as run views the panel can chart (Keras's train/validation pairs merged). */
export function readTensorBoardRunViews(logDir: string): RunView[] {
  const abs = path.resolve(logDir);
  return runViewsFromTfEvents(readTensorBoardLogDir(abs), (name) => (name === '.' ? abs : path.join(abs, ...name.split('/'))), path.basename(abs));
}

/**
 * The log folders to list for event files found in a workspace: the folder holding a file, or, for
 * Keras's `<run>/train` and `<run>/validation`, the run folder above them (so the pair is one run).
 * A folder inside another listed one is left out: reading the outer one finds its files too.
 */
export function logFoldersOf(eventFiles: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const f of eventFiles) {
    const d = path.dirname(path.resolve(f));
    dirs.add(/^(train|validation)$/.test(path.basename(d)) ? path.dirname(d) : d);
  }
  const sorted = [...dirs].sort();
  return sorted.filter((d) => !sorted.some((o) => o !== d && d.startsWith(o + path.sep)));
}
