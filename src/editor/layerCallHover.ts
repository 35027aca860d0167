/**
 * The hover on a `tf.layers.*` call: what the layer does, its main arguments with this call's
 * values, and the shape arithmetic of this call. The input shape comes from the call's own
 * `inputShape` or from the layer hints of the saved model (the layer before it). Thin adapter over
 * src/editor/layerCall.ts.
 */
import * as vscode from 'vscode';
import { findLayerCall } from '../protocol/layerCall';
import { describeLayerCall, type Language } from './layerDocs';
import type { LayerHintsController } from './layerHintsController';

export function registerLayerCallHover(hints: LayerHintsController): vscode.Disposable {
  const selector: vscode.DocumentSelector = [
    { scheme: 'file', language: 'typescript' },
    { scheme: 'file', language: 'javascript' },
    { scheme: 'untitled', language: 'typescript' },
    { scheme: 'untitled', language: 'javascript' },
  ];
  return vscode.languages.registerHoverProvider(selector, {
    provideHover(doc, pos) {
      const text = doc.getText();
      const offset = doc.offsetAt(pos);
      const call = findLayerCall(text, offset);
      if (!call) return undefined;
      // Only over the factory's name and its argument list, not a whole enclosing expression.
      const start = doc.positionAt(call.start);
      const line = start.line + 1;
      const lang: Language = vscode.env.language.toLowerCase().startsWith('zh') ? 'zh-cn' : 'en';
      const md = describeLayerCall(call, hints.outputShapeBefore(doc.uri, line), lang);
      if (!md) return undefined;
      return new vscode.Hover(new vscode.MarkdownString(md), new vscode.Range(start, doc.positionAt(call.end)));
    },
  });
}
