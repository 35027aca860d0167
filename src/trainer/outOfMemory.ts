/**
 * Out of memory, said plainly: the wasm backend reports it as "Aborted()", "memory access out of
 * bounds" or a RangeError from a typed-array allocation, none of which names what was too big. With
 * the model at hand, the message names its largest layer and the bytes its weights need.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { RunError } from '../protocol/trainer';
import { msg } from './messages';

const MEMORY_ERROR = /^Aborted\(|memory access out of bounds|offset is out of bounds|Cannot enlarge memory|Out of memory|Array buffer allocation failed|Invalid typed array length/i;

/** True for the ways tfjs and its wasm backend fail when memory runs out. */
export function isOutOfMemory(e: unknown): boolean {
  // WebAssembly.RuntimeError is an Error too; the trainer's tsconfig has no WebAssembly types.
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
  return MEMORY_ERROR.test(message);
}

const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes (${(n / 2 ** 30).toFixed(2)} GiB)`;

/** The largest layer by weights and the bytes of all weights as float32. */
export function modelMemory(model: Pick<tfTypes.LayersModel, 'layers'>): { layer: string; layerBytes: number; totalBytes: number } | undefined {
  let best: { layer: string; layerBytes: number } | undefined;
  let total = 0;
  for (const l of model.layers) {
    let params = 0;
    try {
      params = l.countParams();
    } catch {
      continue; // a layer not built yet has no weights to count
    }
    total += params * 4;
    if (!best || params * 4 > best.layerBytes) best = { layer: l.name, layerBytes: params * 4 };
  }
  return best && { ...best, totalBytes: total };
}

/** `error` restated as out of memory, naming the largest layer and the weights' size in bytes when the model is known. */
export function explainOutOfMemory(error: RunError, backend: string, model?: Pick<tfTypes.LayersModel, 'layers'>): RunError {
  const where = backend === 'wasm' ? msg('oom.wasmBackend') : msg('oom.backend', backend);
  const m = model && modelMemory(model);
  const size = m
    ? msg('oom.layer', m.layer, bytes(m.layerBytes), bytes(m.totalBytes))
    : '';
  const message = msg('oom.message', where, size, backend === 'wasm' ? msg('oom.useTensorflow') : '', error.message);
  return { ...error, message, details: [error.details, error.message].filter(Boolean).join('\n') };
}
