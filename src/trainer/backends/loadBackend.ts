import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { BackendChoice, BackendInfo } from '../../protocol/trainer';
import { registerFusedTfjsKernels } from './fused/tfjsKernels';
import { registerWasmGradKernels } from './wasmKernels';
import { msg } from '../messages';

export type TF = typeof import('@tensorflow/tfjs');

export interface LoadedBackend {
  tf: TF;
  info: BackendInfo;
}

interface Candidate {
  label: string;
  req: NodeRequire;
}

/** Where `@tensorflow/tfjs-node` may be found: the workspace's node_modules first, then Model Lab's own. */
function tfjsNodeCandidates(workspaceDir: string | undefined): Candidate[] {
  const out: Candidate[] = [];
  if (workspaceDir) out.push({ label: 'the workspace', req: createRequire(path.join(workspaceDir, 'package.json')) });
  out.push({ label: 'Model Lab', req: createRequire(__filename) });
  return out;
}

/** Tries tfjs-node; any error (missing module, missing native binding, ABI) means "not available". */
function tryTfjsNode(workspaceDir: string | undefined): { tf?: TF; why: string } {
  const failures: string[] = [];
  for (const c of tfjsNodeCandidates(workspaceDir)) {
    try {
      const tf = c.req('@tensorflow/tfjs-node') as TF;
      return { tf, why: `@tensorflow/tfjs-node loaded from ${c.label}` };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      failures.push(`${c.label}: ${msg}`);
    }
  }
  return { why: `@tensorflow/tfjs-node is not available (${failures.join('; ')})` };
}

async function useBackend(tf: TF, name: 'wasm' | 'cpu'): Promise<boolean> {
  try {
    if (name === 'wasm') {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(dir + path.sep);
    }
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (ok && name === 'wasm') {
      registerWasmGradKernels(tf);
      // Faster gradient kernels for what the fused executor does not train itself (MODEL_LAB_WASM_KERNELS=tfjs: tfjs's own, for benchmarks).
      if (process.env.MODEL_LAB_WASM_KERNELS !== 'tfjs') registerFusedTfjsKernels(tf);
    }
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Picks and initialises the tfjs backend. `auto` = tfjs-node when it loads, else wasm, else cpu.
 * An explicit choice that cannot be honoured throws with the reason.
 */
export async function loadBackend(choice: BackendChoice, opts: { workspaceDir?: string } = {}): Promise<LoadedBackend> {
  let nodeWhy = '';
  if (choice === 'auto' || choice === 'tensorflow') {
    const n = tryTfjsNode(opts.workspaceDir);
    if (n.tf) {
      await n.tf.ready();
      return { tf: n.tf, info: { name: 'tensorflow', reason: `${choice === 'auto' ? 'auto: ' : ''}${n.why}` } };
    }
    if (choice === 'tensorflow') throw new Error(msg('backend.noTensorflow', n.why));
    nodeWhy = n.why;
  }
  const tf = require('@tensorflow/tfjs') as TF;
  if (choice === 'auto' || choice === 'wasm') {
    if (await useBackend(tf, 'wasm'))
      return { tf, info: { name: 'wasm', reason: choice === 'auto' ? `auto: ${nodeWhy}; using WebAssembly (SIMD)` : 'chosen' } };
    if (choice === 'wasm') throw new Error(msg('backend.noWasm'));
  }
  if (await useBackend(tf, 'cpu'))
    return { tf, info: { name: 'cpu', reason: choice === 'auto' ? `auto: ${nodeWhy}; wasm failed to initialise` : 'chosen' } };
  throw new Error(msg('backend.none'));
}
