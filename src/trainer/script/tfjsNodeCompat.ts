/**
 * What a script written for `@tensorflow/tfjs-node` finds when it imports tf and runs on plain tfjs
 * (wasm or cpu): the same tf, plus as much of tfjs-node's Node-only surface as works without
 * TensorFlow C++ — `file://` save/load and `tf.io.fileSystem`, `tf.node.decodeImage/decodePng/
 * decodeJpeg/encodePng/encodeJpeg` (pngjs, jpeg-js), a `tf.node.tensorBoard` callback that writes
 * TensorBoard event files, and
 * `tf.setBackend('tensorflow')` falling back to the backend in use with a notice. The rest of
 * `tf.node` throws naming the API and why. When tfjs-node itself is loaded, its own API is kept.
 */
import * as path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeImage as decodeRgba, isJpeg, isPng } from '../data/images';
import { fileSystemHandler, registerFileRouters } from '../fsModelIo';
import { EventFileWriter, scalarEvent } from '../tensorboard/eventWriter';
import { msg } from '../messages';

type TF = typeof tfTypes;

export interface CompatHooks {
  /** A notice for the run's log (fallbacks, files not written). */
  log: (level: 'info' | 'warn', message: string) => void;
}

/** tfjs-node APIs that only exist with TensorFlow C++ (SavedModel, TF summary files, GIF/BMP decoding). */
const NEEDS_TENSORFLOW_CPP = [
  'loadSavedModel',
  'getMetaGraphsFromSavedModel',
  'getNumOfSavedModels',
  'decodeGif',
  'decodeBmp',
  'summaryFileWriter',
  'runSavedModel',
] as const;

/** Thrown by a tfjs-node API that cannot work on this backend; names it. */
export class TfjsNodeOnlyError extends Error {
  constructor(api: string, backend: string) {
    super(msg('script.needsTfjsNode', api, backend));
    this.name = 'TfjsNodeOnlyError';
  }
}

/** PNG colour type (IHDR byte 25) → the channels TensorFlow's decode_png gives with channels=0. */
function pngChannels(buf: Uint8Array): number {
  switch (buf[25]) {
    case 0:
      return 1;
    case 4:
      return 2;
    case 2:
    case 3:
      return 3;
    default:
      return 4;
  }
}

/** Keeps `channels` of RGBA pixels: 1 = luma (gray images have R=G=B), 2 = gray+alpha, 3 = RGB, 4 = RGBA. */
function pickChannels(rgba: Uint8Array, pixels: number, channels: number): Int32Array {
  const out = new Int32Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    const r = rgba[p * 4];
    const g = rgba[p * 4 + 1];
    const b = rgba[p * 4 + 2];
    const a = rgba[p * 4 + 3];
    const o = p * channels;
    if (channels === 1 || channels === 2) {
      out[o] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (channels === 2) out[o + 1] = a;
    } else {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (channels === 4) out[o + 3] = a;
    }
  }
  return out;
}

function makeNodeApi(tf: TF, hooks: CompatHooks) {
  const decode = (api: string, contents: Uint8Array, channels = 0, dtype = 'int32', want?: 'png' | 'jpeg'): tfTypes.Tensor3D => {
    if (!(contents instanceof Uint8Array)) throw new TypeError(`tf.node.${api}: contents must be a Uint8Array or Buffer (the file's bytes)`);
    const buf = Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength);
    const png = isPng(buf);
    if (!png && !isJpeg(buf)) throw new Error(`tf.node.${api}: not a PNG or JPEG (GIF and BMP need TensorFlow C++)`);
    if (want === 'png' && !png) throw new Error('tf.node.decodePng: the bytes are not a PNG');
    if (want === 'jpeg' && png) throw new Error('tf.node.decodeJpeg: the bytes are not a JPEG');
    if (![0, 1, 2, 3, 4].includes(channels)) throw new Error(`tf.node.${api}: channels must be 0, 1, 2, 3 or 4, not ${channels}`);
    if (dtype !== 'int32') throw new Error(`tf.node.${api}: only dtype 'int32' is supported (as in tfjs-node)`);
    const img = decodeRgba(buf, api);
    const c = channels === 0 ? (png ? pngChannels(buf) : 3) : channels;
    return tf.tensor3d(pickChannels(img.data, img.width * img.height, c), [img.height, img.width, c], 'int32');
  };
  const pixelsOf = (api: string, image: tfTypes.Tensor3D): { w: number; h: number; rgba: Buffer } => {
    if (image.rank !== 3) throw new Error(`tf.node.${api}: the image must be a 3-D tensor [height, width, channels], got shape [${image.shape.join(',')}]`);
    const [h, w, c] = image.shape;
    const v = image.dataSync();
    const rgba = Buffer.alloc(w * h * 4);
    for (let p = 0; p < w * h; p++) {
      const px = (k: number) => Math.max(0, Math.min(255, Math.round(v[p * c + k])));
      const gray = c <= 2;
      rgba[p * 4] = px(0);
      rgba[p * 4 + 1] = gray ? px(0) : px(1);
      rgba[p * 4 + 2] = gray ? px(0) : px(2);
      rgba[p * 4 + 3] = c === 2 ? px(1) : c === 4 ? px(3) : 255;
    }
    return { w, h, rgba };
  };
  const warned = new Set<string>();
  const api: Record<string, unknown> = {
    decodeImage: (contents: Uint8Array, channels?: number, dtype?: string) => decode('decodeImage', contents, channels, dtype),
    decodePng: (contents: Uint8Array, channels?: number, dtype?: string) => decode('decodePng', contents, channels, dtype, 'png'),
    decodeJpeg: (contents: Uint8Array, channels?: number) => decode('decodeJpeg', contents, channels, 'int32', 'jpeg'),
    encodePng: async (image: tfTypes.Tensor3D) => {
      const { w, h, rgba } = pixelsOf('encodePng', image);
      const png = new PNG({ width: w, height: h });
      rgba.copy(png.data);
      return new Uint8Array(PNG.sync.write(png));
    },
    encodeJpeg: async (image: tfTypes.Tensor3D, _format?: string, quality = 95) => {
      const { w, h, rgba } = pixelsOf('encodeJpeg', image);
      return new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, quality).data);
    },
    /**
     * tfjs-node's TensorBoard callback, on any backend: the fit's metrics as TensorBoard event files
     * in `logdir/train` and `logdir/val` (tags `batch_<metric>` per batch unless updateFreq is
     * 'epoch', `epoch_<metric>` per epoch, validation metrics without their `val_` prefix), as
     * tfjs-node names them. Each file is written under a temporary name and put in place when the
     * fit ends. The fit is recorded in the Model Lab run as well.
     */
    tensorBoard: (logdir = './logs', args: { updateFreq?: 'batch' | 'epoch' } = {}) => {
      if (args.updateFreq !== undefined && args.updateFreq !== 'batch' && args.updateFreq !== 'epoch')
        throw new Error(`tf.node.tensorBoard: updateFreq must be 'batch' or 'epoch', not ${JSON.stringify(args.updateFreq)}`);
      const writers = new Map<'train' | 'val', EventFileWriter>();
      let batches = 0;
      let epochs = 0;
      const writerFor = (which: 'train' | 'val'): EventFileWriter => {
        let w = writers.get(which);
        if (!w) {
          w = new EventFileWriter(path.resolve(logdir, which), Date.now() / 1000);
          writers.set(which, w);
        }
        return w;
      };
      const logMetrics = (logs: Record<string, unknown> | undefined, prefix: string, step: number) => {
        for (const [key, value] of Object.entries(logs ?? {})) {
          if (key === 'batch' || key === 'size' || key === 'num_steps' || typeof value !== 'number') continue;
          const val = key.startsWith('val_');
          writerFor(val ? 'val' : 'train').add(scalarEvent(prefix + (val ? key.slice(4) : key), value, step, Date.now() / 1000));
        }
      };
      return new tf.CustomCallback({
        onTrainBegin: async () => {
          if (warned.has(logdir)) return;
          warned.add(logdir);
          hooks.log('info', `tf.node.tensorBoard: writing TensorBoard event files to ${path.resolve(logdir)} (train/, val/) when the fit ends.`);
        },
        onBatchEnd: async (_batch, logs) => {
          batches++;
          if (args.updateFreq !== 'epoch') logMetrics(logs, 'batch_', batches);
        },
        onEpochEnd: async (_epoch, logs) => {
          epochs++;
          logMetrics(logs, 'epoch_', epochs);
        },
        onTrainEnd: async () => {
          for (const w of writers.values()) w.close();
          writers.clear();
        },
      });
    },
  };
  const backend = () => tf.getBackend();
  for (const name of NEEDS_TENSORFLOW_CPP)
    api[name] = () => {
      throw new TfjsNodeOnlyError(`tf.node.${name}`, backend());
    };
  return api;
}

/**
 * The tf a script sees: `tf` itself (so instanceof checks and tf's registries are shared) with
 * `node`, `io.fileSystem` and a lenient `setBackend` added. Registers the `file://` routers on `tf`.
 */
export function tfjsNodeCompat(tf: TF, hooks: CompatHooks): TF {
  registerFileRouters(tf);
  const t = tf as unknown as Record<string, unknown> & { io: Record<string, unknown> };
  // tfjs-node is loaded (its own tf.node exists): keep everything as it is.
  if (t.node !== undefined) return tf;
  const io = { ...tf.io, fileSystem: (p: string | string[]) => fileSystemHandler(tf, p) };
  const realSetBackend = tf.setBackend.bind(tf);
  const setBackend = async (name: string): Promise<boolean> => {
    if (name === 'tensorflow' && tf.findBackend('tensorflow') === null) {
      hooks.log('warn', msg('log.noTensorflowInScript', tf.getBackend()));
      return true;
    }
    return realSetBackend(name);
  };
  return { ...t, io, node: makeNodeApi(tf, hooks), setBackend } as unknown as TF;
}
