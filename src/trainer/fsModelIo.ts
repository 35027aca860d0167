/**
 * Saves and loads a tfjs LayersModel as `<dir>/model.json` + `<dir>/weights.bin` (the tfjs-node
 * layout) with plain @tensorflow/tfjs, which has no file:// handler of its own. `tf` is a parameter
 * because it may be tfjs-node's or plain tfjs's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { describeBadJson } from '../protocol/runFolder';
import { faultPause, fsyncDir, writeFailure, writeFileAtomic, writeFileDurable } from './durable';
import { msg } from './messages';

type TF = typeof tfTypes;
type ModelArtifacts = tfTypes.io.ModelArtifacts;
type WeightsManifestEntry = tfTypes.io.WeightsManifestEntry;


/** model.json + weights.bin of `artifacts` into `dir`, in tfjs-node's file layout. */
async function writeArtifacts(tf: TF, artifacts: ModelArtifacts, dir: string): Promise<void> {
  const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  // tf.io.getModelJSONForModelArtifacts is not exported by tfjs 4.22, so model.json is built here.
  const modelJSON: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
  // fsynced: a folder renamed into place must hold its data, not names of blocks never written.
  await writeFileDurable(path.join(dir, WEIGHTS_BIN), Buffer.from(weightData));
  await writeFileDurable(path.join(dir, MODEL_JSON), JSON.stringify(modelJSON));
}

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/**
 * An IOHandler that writes into a temp sibling folder (files and folder fsynced) and then switches
 * it in for `dir`, so `dir` never holds a half-written model. rename(2) cannot replace a non-empty
 * folder, so the switch is two renames; with `pointer` (checkpoints/<kind>.json) a complete copy is
 * findable at every moment of it: the pointer names the temp folder before the old one moves aside
 * and names `dir` again once the new one is in place. Without a pointer (the final model/, written
 * once) a kill between the renames leaves the previous model aside, cleaned at the next start.
 */
export function fileSaveHandler(tf: TF, dir: string, extraFiles: Record<string, string> = {}, pointer?: string): tfTypes.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts: ModelArtifacts) => {
    const parent = path.dirname(dir);
    await fs.promises.mkdir(parent, { recursive: true });
    const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${process.pid}-${Date.now()}`);
    await fs.promises.mkdir(tmp, { recursive: true });
    let old: string | undefined;
    try {
      await writeArtifacts(tf, artifacts, tmp);
      for (const [name, text] of Object.entries(extraFiles)) await writeFileDurable(path.join(tmp, name), text);
      fsyncDir(tmp);
      fsyncDir(parent);
      faultPause('checkpoint-written');
      if (pointer) writePointer(pointer, path.basename(tmp));
      if (fs.existsSync(dir)) {
        old = `${tmp}-old`;
        await fs.promises.rename(dir, old);
      }
      // The window finding 3 was about: `dir` is missing here; the pointer names the new copy.
      faultPause('checkpoint-swap');
      await fs.promises.rename(tmp, dir);
      fsyncDir(parent);
      if (pointer) writePointer(pointer, path.basename(dir));
    } catch (e) {
      // The old copy goes back where readers without the pointer look for it.
      if (old && !fs.existsSync(dir) && fs.existsSync(old)) await fs.promises.rename(old, dir).catch(() => undefined);
      if (pointer && fs.existsSync(dir)) {
        try {
          writePointer(pointer, path.basename(dir));
        } catch {
          // the pointer still names a folder that is gone: readers fall back to `dir`
        }
      }
      await fs.promises.rm(tmp, { recursive: true, force: true });
      throw writeFailure(e, tmp);
    }
    if (old) await fs.promises.rm(old, { recursive: true, force: true });
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

function writePointer(pointer: string, dirName: string): void {
  writeFileAtomic(pointer, JSON.stringify({ dir: dirName }) + '\n');
}

/**
 * A weight file named in model.json, as a path inside `dir`: model.json comes from a folder a user
 * or another program wrote, so `../../../etc/hostname` or an absolute path is refused, not read.
 */
export function weightFilePath(dir: string, jsonFile: string, p: unknown): string {
  if (typeof p !== 'string' || p === '') throw new Error(msg('io.weightsPath', jsonFile, String(JSON.stringify(p)), WEIGHTS_BIN));
  const root = path.resolve(dir);
  const target = path.resolve(root, p);
  const rel = path.relative(root, target);
  if (path.isAbsolute(p) || rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
    throw new Error(msg('io.weightsOutside', jsonFile, p, root));
  return target;
}

/** An IOHandler reading `dir/model.json` and the weight files it lists (all inside `dir`), with errors naming the file. */
export function fileLoadHandler(tf: TF, dir: string, jsonName = MODEL_JSON): tfTypes.io.IOHandler {
  return {
    load: async () => {
      const jsonFile = path.join(dir, jsonName);
      const text = await fs.promises.readFile(jsonFile, 'utf8');
      let modelJSON: tfTypes.io.ModelJSON;
      try {
        modelJSON = JSON.parse(text) as tfTypes.io.ModelJSON;
      } catch (e) {
        throw new Error(msg('io.badJson', jsonFile, describeBadJson(text, jsonName, e)));
      }
      if (typeof modelJSON !== 'object' || modelJSON === null || typeof modelJSON.modelTopology !== 'object')
        throw new Error(msg('io.notModelJson', jsonFile));
      if (modelJSON.weightsManifest !== undefined && !Array.isArray(modelJSON.weightsManifest))
        throw new Error(msg('io.manifestNotList', jsonFile));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest: WeightsManifestEntry[] | tfTypes.io.WeightsManifestConfig) => {
        const specs: WeightsManifestEntry[] = [];
        const bufs: ArrayBuffer[] = [];
        const files: string[] = [];
        for (const group of manifest as tfTypes.io.WeightsManifestConfig) {
          if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) throw new Error(msg('io.manifestEntry', jsonFile));
          specs.push(...group.weights);
          for (const p of group.paths) {
            const file = weightFilePath(dir, jsonFile, p);
            files.push(file);
            bufs.push(toArrayBuffer(await fs.promises.readFile(file)));
          }
        }
        // A cut-short weights.bin would otherwise surface as tfjs's "byte length of Float32Array should be a multiple of 4".
        const want = specs.reduce((n, w) => n + weightBytes(w), 0);
        const have = bufs.reduce((n, b) => n + b.byteLength, 0);
        if (Number.isFinite(want) && have < want)
          throw new Error(msg('io.weightsShort', files.join(', ') || jsonFile, have, want));
        return [specs, tf.io.concatenateArrayBuffers(bufs)];
      });
    },
  };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2 };

/** Bytes a manifest entry takes in the weights file (NaN when it cannot say: quantized or unknown dtypes). */
function weightBytes(w: WeightsManifestEntry): number {
  if (w.quantization) return NaN;
  const per = DTYPE_BYTES[w.dtype];
  if (per === undefined || !Array.isArray(w.shape)) return NaN;
  return w.shape.reduce((a, b) => a * b, 1) * per;
}

/** `extraFiles` (name -> text) land in `dir` in the same atomic rename as the model (a checkpoint's checkpoint.json). */
export async function saveModel(
  tf: TF,
  model: tfTypes.LayersModel,
  dir: string,
  opts: { includeOptimizer?: boolean; extraFiles?: Record<string, string>; pointer?: string } = {},
): Promise<void> {
  // tfjs 4.22 leaks one scalar per save with includeOptimizer (the optimizer's `iterations`); a scope
  // frees whatever the save leaves behind. Variables are never tracked by scopes, so weights are safe.
  tf.engine().startScope();
  try {
    await model.save(fileSaveHandler(tf, dir, opts.extraFiles, opts.pointer), { includeOptimizer: opts.includeOptimizer ?? false });
  } finally {
    tf.engine().endScope();
  }
}

/** Loads a model from a folder, or from a path to its model.json. */
export async function loadModel(tf: TF, dirOrModelJson: string): Promise<tfTypes.LayersModel> {
  const dir = dirOrModelJson.endsWith(MODEL_JSON) ? path.dirname(dirOrModelJson) : dirOrModelJson;
  return tf.loadLayersModel(fileLoadHandler(tf, dir));
}

/**
 * tfjs-node's `tf.io.fileSystem(path)` for plain tfjs: saving writes `model.json` and `weights.bin`
 * into the folder `path` (created if missing, other files in it left alone, as tfjs-node does; no
 * atomic folder swap, which would drop the user's own files); loading reads `path` as a model.json,
 * or `path/model.json` when `path` is a folder.
 */
export function fileSystemHandler(tf: TF, target: string | string[]): tfTypes.io.IOHandler {
  const first = Array.isArray(target) ? target[0] : target;
  if (typeof first !== 'string' || first === '') throw new Error(msg('io.emptyPath'));
  const where = path.resolve(first);
  return {
    save: async (artifacts: ModelArtifacts) => {
      if (fs.existsSync(where) && !fs.statSync(where).isDirectory())
        throw new Error(msg('io.savePathIsFile', where, WEIGHTS_BIN));
      await fs.promises.mkdir(where, { recursive: true });
      await writeArtifacts(tf, artifacts, where);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: async () => {
      let json = where;
      if (fs.existsSync(where) && fs.statSync(where).isDirectory()) json = path.join(where, MODEL_JSON);
      if (!fs.existsSync(json)) throw new Error(msg('io.noModelJson', json));
      return fileLoadHandler(tf, path.dirname(json), path.basename(json)).load!();
    },
  };
}

/** `file://a/b` → `a/b` (relative to the working directory, as tfjs-node reads it); `file:///abs` → `/abs`. */
export function pathOfFileUrl(url: string): string {
  return url.slice('file://'.length);
}

/**
 * Registers tfjs-node's `file://` save and load routers on a plain tfjs, so `model.save('file://…')`
 * and `tf.loadLayersModel('file://…')` in a script work as under tfjs-node. Does nothing when a
 * router for file:// is already there (tfjs-node itself is loaded).
 */
export function registerFileRouters(tf: TF): void {
  const probe = 'file://model-lab-probe';
  if (tf.io.getSaveHandlers(probe).length > 0) return;
  const route = (url: string | string[]) => {
    const first = Array.isArray(url) ? url[0] : url;
    if (typeof first !== 'string' || !first.startsWith('file://')) return null;
    return fileSystemHandler(tf, Array.isArray(url) ? url.map(pathOfFileUrl) : pathOfFileUrl(first));
  };
  tf.io.registerSaveRouter(route as Parameters<TF["io"]["registerSaveRouter"]>[0]);
  tf.io.registerLoadRouter(route as Parameters<TF["io"]["registerSaveRouter"]>[0]);
}
