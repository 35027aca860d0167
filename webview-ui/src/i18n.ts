/**
 * The panel's own string table (English and Simplified Chinese) and locale-aware number and time
 * formatting. The webview cannot call `vscode.l10n`, so the host puts VS Code's display language on
 * `<html data-locale>` and every string the panel shows comes from here. Pure: no DOM.
 */

const en = {
  'empty.title': 'No training run yet',
  'empty.open': 'Open a model file and run {0}.',
  'empty.trainCommand': 'Model Lab: Train Model',
  'empty.hint': 'Every metric the model reports will draw here, batch by batch, as it learns.',
  'status.none': 'No run',
  'status.running': 'Running',
  'status.completed': 'Completed',
  'status.stopped': 'Stopped',
  'status.failed': 'Failed',
  'status.crashed': 'Crashed',
  'status.paused': 'Paused',
  'status.stopping': 'Finishing batch…',
  'meta.run': 'run',
  'meta.backend': 'backend',
  'meta.epoch': 'epoch',
  'meta.batch': 'batch',
  'meta.elapsed': 'elapsed',
  'meta.speed': 'samples/s',
  'meta.eta': 'ETA',
  'meta.checkpoints': 'checkpoints',
  'meta.starting': 'starting…',
  'meta.backendPending': 'The trainer has not reported its backend yet',
  'meta.elapsedPaused': 'Time spent paused is not counted',
  'meta.progress': 'Training progress',
  'button.stop': 'Stop',
  'button.stop.title': 'Stop after the current batch; the model is saved',
  'button.kill': 'Kill now',
  'button.kill.title': 'The batch in progress is finishing before the model is saved. Press to kill the trainer now: that batch is lost, metrics and checkpoints already saved are kept',
  'button.pause': 'Pause',
  'button.pause.title': 'Hold training after the current batch',
  'button.resume': 'Resume',
  'button.resume.title': 'Continue training',
  'button.pausing': 'Pausing…',
  'button.resuming': 'Resuming…',
  'button.checkpoint': 'Checkpoint now',
  'button.checkpoint.title': 'Save checkpoints/last after the current batch',
  'button.saving': 'Saving…',
  'checkpoint.text': '{0} epoch {1}',
  'checkpoint.step': ', step {0}',
  'checkpoint.saved': 'saved {0} ({1})',
  'checkpoint.kind.last': 'last',
  'checkpoint.kind.best': 'best',
  'checkpoint.reason.epoch': 'an epoch ended',
  'checkpoint.reason.request': 'Checkpoint now',
  'checkpoint.reason.stop': 'the run was stopped',
  'checkpoint.reason.improved': 'a new best',
  'error.crashed': 'Trainer crashed',
  'error.failed': 'Training failed',
  'error.details': 'Details',
  'tabs.run': 'Run',
  'tabs.data': 'Data',
  'tabs.dataOf': 'Data · {0}',
  'chart.waiting': 'Waiting for the first batch…',
  'chart.noBatches': 'The run ended before its first batch.',
  'chart.batch': 'batch',
  'chart.smoothed': 'smoothed',
  'chart.epochMean': 'epoch mean',
  'chart.validation': 'validation',
  'chart.x.step': 'step',
  'chart.x.epoch': 'epoch',
  'chart.x.time': 'time (s)',
  'chart.hint': 'Drag to zoom · Shift+drag or arrow keys to pan · +/− zoom · double-click or 0 to reset',
  'chart.reset': 'Reset zoom',
  'chart.label': 'Chart of {0}. {1}',
  'chart.points': '{0} of {1} points drawn',
  'chart.export': 'PNG',
  'chart.export.title': 'Save this chart as a PNG image',
  'chart.exportSvg': 'SVG',
  'chart.exportSvg.title': 'Save this chart as an SVG drawing',
  'chart.partial': 'partial epoch',
  'chart.nan': 'NaN',
  'controls.smoothing': 'Smoothing',
  'controls.smoothing.title': 'Exponential moving average with TensorBoard’s debiasing, on every point; the raw line stays faint behind',
  'controls.logY': 'Log scale',
  'controls.xAxis': 'X axis',
  'controls.x.step': 'Step',
  'controls.x.epoch': 'Epoch',
  'controls.x.time': 'Relative time',
  'controls.extra': 'Learning rate and speed',
  'epochs.title': 'Epochs',
  'epochs.empty': 'Epoch summaries appear here as each epoch ends.',
  'epochs.epoch': 'epoch',
  'epochs.duration': 'duration',
  'epochs.partial': 'partial',
  'epochs.partial.title': 'Stopped after {0} of {1} batches: the means cover only those batches',
  'layers.summary': 'Layers ({0}) · {1} params',
  'layers.layer': 'layer',
  'layers.class': 'class',
  'layers.shape': 'output shape',
  'layers.params': 'params',
  'layers.total': 'Total params',
  'dropped': 'Dropped {0} malformed message(s) from the host; showing what was valid.',
  'droppedBatches': 'Ignored {0} batch point(s) whose step did not move forward (repeated or out of order).',
  'eval.title': 'Evaluation',
  'eval.samples': '{0} samples: {1}',
  'eval.accuracy': 'accuracy',
  'eval.macroF1': 'macro F1',
  'eval.macroPrecision': 'macro precision',
  'eval.macroRecall': 'macro recall',
  'eval.confusion': 'Confusion matrix',
  'eval.normalise': 'Normalise rows',
  'eval.normalise.title': 'Show each cell as its share of the true class (recall)',
  'eval.corner': 'true \\ pred',
  'eval.corner.title': 'rows: true class · columns: predicted class',
  'eval.cell.title': 'true {0}, predicted {1}: {2} ({3} of the row)',
  'eval.predicted': 'predicted {0}',
  'eval.true': 'true {0}',
  'eval.perClass': 'Per class',
  'eval.class': 'class',
  'eval.precision': 'precision',
  'eval.recall': 'recall',
  'eval.f1': 'F1',
  'eval.support': 'support',
  'eval.macroAvg': 'macro avg',
  'eval.samplePredictions': 'Sample predictions ({0} wrong of {1})',
  'eval.trueLabel': ' (true {0})',
  'eval.mae': 'mean absolute error',
  'eval.rmse': 'root mean squared error',
  'eval.r2': 'coefficient of determination (1 = perfect)',
  'eval.errorDistribution': 'Error distribution (predicted − target)',
  'eval.error': 'error',
  'eval.samplesTitle': 'Samples',
  'eval.input': 'input',
  'eval.target': 'target',
  'eval.prediction': 'predicted',
  'eval.meanMse': 'mean MSE',
  'eval.meanMse.title': 'mean over samples of the per-sample mean squared error',
  'eval.reconstruction': 'Input → reconstruction',
  'eval.reconstructionError': 'Reconstruction error per sample',
  'eval.output': 'Output {0} · {1}',
  'preview.none': 'Run "Model Lab: Preview Dataset" on a model file to see its data here.',
  'preview.samples': 'samples',
  'preview.task': 'task',
  'preview.firstSamples': 'First {0} samples',
  'preview.balance': 'Class balance · {0} classes',
  'preview.imbalanced': ' · imbalanced ({0})',
  'preview.emptyClass': 'a class is empty',
  'preview.firstRows': 'First {0} rows',
  'preview.columns': 'Columns',
  'preview.column': 'column',
  'preview.type': 'type',
  'preview.min': 'min',
  'preview.max': 'max',
  'preview.mean': 'mean',
  'preview.std': 'std',
  'preview.missing': 'missing',
  'preview.textSamples': 'Samples',
  'preview.empty': '(empty)',
  'preview.seriesHead': 'Series head',
  'preview.categorical': 'categorical ({0})',
} as const;

export type StringKey = keyof typeof en;

const zhCn: Record<StringKey, string> = {
  'empty.title': '还没有训练运行',
  'empty.open': '打开一个模型文件并运行 {0}。',
  'empty.trainCommand': 'Model Lab: 训练模型',
  'empty.hint': '模型报告的每个指标都会在这里随训练逐批绘制。',
  'status.none': '无运行',
  'status.running': '运行中',
  'status.completed': '已完成',
  'status.stopped': '已停止',
  'status.failed': '失败',
  'status.crashed': '已崩溃',
  'status.paused': '已暂停',
  'status.stopping': '正在完成当前批次…',
  'meta.run': '运行',
  'meta.backend': '后端',
  'meta.epoch': '轮次',
  'meta.batch': '批次',
  'meta.elapsed': '已用时间',
  'meta.speed': '样本/秒',
  'meta.eta': '预计剩余',
  'meta.checkpoints': '检查点',
  'meta.starting': '正在启动…',
  'meta.backendPending': '训练进程尚未报告其后端',
  'meta.elapsedPaused': '暂停的时间不计入',
  'meta.progress': '训练进度',
  'button.stop': '停止',
  'button.stop.title': '在当前批次后停止；模型会被保存',
  'button.kill': '立即终止',
  'button.kill.title': '正在完成当前批次，之后会保存模型。按下可立即终止训练进程：这一批次会丢失，已保存的指标和检查点会保留',
  'button.pause': '暂停',
  'button.pause.title': '在当前批次后暂停训练',
  'button.resume': '继续',
  'button.resume.title': '继续训练',
  'button.pausing': '正在暂停…',
  'button.resuming': '正在继续…',
  'button.checkpoint': '立即保存检查点',
  'button.checkpoint.title': '在当前批次后保存 checkpoints/last',
  'button.saving': '正在保存…',
  'checkpoint.text': '{0} 第 {1} 轮',
  'checkpoint.step': '，第 {0} 步',
  'checkpoint.saved': '保存于 {0}（{1}）',
  'checkpoint.kind.last': '最新',
  'checkpoint.kind.best': '最佳',
  'checkpoint.reason.epoch': '一轮结束',
  'checkpoint.reason.request': '立即保存检查点',
  'checkpoint.reason.stop': '运行被停止',
  'checkpoint.reason.improved': '新的最佳结果',
  'error.crashed': '训练进程崩溃',
  'error.failed': '训练失败',
  'error.details': '详细信息',
  'tabs.run': '运行',
  'tabs.data': '数据',
  'tabs.dataOf': '数据 · {0}',
  'chart.waiting': '正在等待第一个批次…',
  'chart.noBatches': '运行在第一个批次之前就结束了。',
  'chart.batch': '批次',
  'chart.smoothed': '平滑',
  'chart.epochMean': '轮次均值',
  'chart.validation': '验证',
  'chart.x.step': '步',
  'chart.x.epoch': '轮次',
  'chart.x.time': '时间（秒）',
  'chart.hint': '拖动以缩放 · Shift+拖动或方向键平移 · +/− 缩放 · 双击或按 0 重置',
  'chart.reset': '重置缩放',
  'chart.label': '{0} 的图表。{1}',
  'chart.points': '已绘制 {1} 个点中的 {0} 个',
  'chart.export': 'PNG',
  'chart.export.title': '将此图表保存为 PNG 图片',
  'chart.exportSvg': 'SVG',
  'chart.exportSvg.title': '将此图表保存为 SVG 矢量图',
  'chart.partial': '不完整的轮次',
  'chart.nan': 'NaN',
  'controls.smoothing': '平滑',
  'controls.smoothing.title': '带 TensorBoard 去偏的指数移动平均，基于全部数据点计算；原始曲线以淡色保留在后面',
  'controls.logY': '对数刻度',
  'controls.xAxis': 'X 轴',
  'controls.x.step': '步',
  'controls.x.epoch': '轮次',
  'controls.x.time': '相对时间',
  'controls.extra': '学习率与速度',
  'epochs.title': '轮次',
  'epochs.empty': '每轮结束时，其摘要会出现在这里。',
  'epochs.epoch': '轮次',
  'epochs.duration': '用时',
  'epochs.partial': '不完整',
  'epochs.partial.title': '在 {1} 个批次中的第 {0} 个之后停止：均值只包含这些批次',
  'layers.summary': '层（{0}）· {1} 个参数',
  'layers.layer': '层',
  'layers.class': '类型',
  'layers.shape': '输出形状',
  'layers.params': '参数',
  'layers.total': '参数总数',
  'dropped': '已丢弃来自宿主的 {0} 条格式错误的消息；显示的是有效的部分。',
  'droppedBatches': '已忽略 {0} 个步数没有前进（重复或乱序）的批次数据点。',
  'eval.title': '评估',
  'eval.samples': '{0} 个样本：{1}',
  'eval.accuracy': '准确率',
  'eval.macroF1': '宏平均 F1',
  'eval.macroPrecision': '宏平均精确率',
  'eval.macroRecall': '宏平均召回率',
  'eval.confusion': '混淆矩阵',
  'eval.normalise': '按行归一化',
  'eval.normalise.title': '将每个单元格显示为其在真实类别中的占比（召回率）',
  'eval.corner': '真实 \\ 预测',
  'eval.corner.title': '行：真实类别 · 列：预测类别',
  'eval.cell.title': '真实 {0}，预测 {1}：{2}（占该行的 {3}）',
  'eval.predicted': '预测为 {0}',
  'eval.true': '真实为 {0}',
  'eval.perClass': '各类别',
  'eval.class': '类别',
  'eval.precision': '精确率',
  'eval.recall': '召回率',
  'eval.f1': 'F1',
  'eval.support': '样本数',
  'eval.macroAvg': '宏平均',
  'eval.samplePredictions': '样本预测（{1} 个中错误 {0} 个）',
  'eval.trueLabel': '（真实 {0}）',
  'eval.mae': '平均绝对误差',
  'eval.rmse': '均方根误差',
  'eval.r2': '决定系数（1 = 完美）',
  'eval.errorDistribution': '误差分布（预测 − 目标）',
  'eval.error': '误差',
  'eval.samplesTitle': '样本',
  'eval.input': '输入',
  'eval.target': '目标',
  'eval.prediction': '预测',
  'eval.meanMse': '平均 MSE',
  'eval.meanMse.title': '各样本均方误差的平均值',
  'eval.reconstruction': '输入 → 重建',
  'eval.reconstructionError': '每个样本的重建误差',
  'eval.output': '输出 {0} · {1}',
  'preview.none': '对模型文件运行“Model Lab: 预览数据集”，即可在此查看其数据。',
  'preview.samples': '样本',
  'preview.task': '任务',
  'preview.firstSamples': '前 {0} 个样本',
  'preview.balance': '类别分布 · {0} 个类别',
  'preview.imbalanced': ' · 不均衡（{0}）',
  'preview.emptyClass': '有类别为空',
  'preview.firstRows': '前 {0} 行',
  'preview.columns': '列',
  'preview.column': '列',
  'preview.type': '类型',
  'preview.min': '最小值',
  'preview.max': '最大值',
  'preview.mean': '均值',
  'preview.std': '标准差',
  'preview.missing': '缺失',
  'preview.textSamples': '样本',
  'preview.empty': '（空）',
  'preview.seriesHead': '序列开头',
  'preview.categorical': '分类（{0}）',
};

/** Every table, by the lower-case language tag VS Code reports (`vscode.env.language`). */
export const STRING_TABLES: Readonly<Record<string, Record<StringKey, string>>> = { en, 'zh-cn': zhCn };

/** `zh-CN`, `zh-Hans`, `zh` → the Chinese table; anything else → English. */
export function tableFor(locale: string): 'en' | 'zh-cn' {
  const l = locale.toLowerCase();
  return l === 'zh-cn' || l === 'zh' || l.startsWith('zh-hans') || l === 'zh-sg' ? 'zh-cn' : 'en';
}

/** Strings and formatters for one locale. */
export interface Locale {
  /** The BCP 47 tag used for Intl (`en`, `zh-CN`, …). */
  readonly tag: string;
  t(key: StringKey, ...args: (string | number)[]): string;
  /** A metric value: 4 significant decimals, exponent form for very large or small magnitudes. */
  metric(v: number | null | undefined): string;
  /** An integer count with the locale's grouping. */
  int(v: number): string;
  /** A number with at most `digits` decimals. */
  num(v: number, digits?: number): string;
  /** 65_000 ms → `1:05`; 3_725_000 → `1:02:05`. */
  duration(ms: number): string;
  /** Time of day of a Unix ms time, in the locale. */
  time(ms: number): string;
}

function intlTag(locale: string): string {
  try {
    return Intl.getCanonicalLocales(locale)[0] ?? 'en';
  } catch {
    return 'en';
  }
}

export function makeLocale(locale: string): Locale {
  const strings = STRING_TABLES[tableFor(locale)];
  const tag = intlTag(locale || 'en');
  const ints = new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
  const metric4 = new Intl.NumberFormat(tag, { minimumFractionDigits: 4, maximumFractionDigits: 4, useGrouping: false });
  const expo = new Intl.NumberFormat(tag, { notation: 'scientific', maximumFractionDigits: 3 });
  const times = new Intl.DateTimeFormat(tag, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const nums = new Map<number, Intl.NumberFormat>();
  return {
    tag,
    t(key, ...args) {
      const s = strings[key] ?? en[key] ?? key;
      return args.length === 0 ? s : s.replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] === undefined ? m : String(args[Number(i)])));
    },
    metric(v) {
      if (v === null || v === undefined) return '–';
      if (Number.isNaN(v)) return 'NaN';
      if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
      const a = Math.abs(v);
      return a !== 0 && (a >= 1e5 || a < 1e-4) ? expo.format(v) : metric4.format(v);
    },
    int: (v) => ints.format(v),
    num(v, digits = 2) {
      let f = nums.get(digits);
      if (!f) nums.set(digits, (f = new Intl.NumberFormat(tag, { maximumFractionDigits: digits })));
      return f.format(v);
    },
    duration(ms) {
      const s = Math.max(0, Math.round(ms / 1000));
      const h = Math.floor(s / 3600);
      const m = Math.floor((s % 3600) / 60);
      const pad = (n: number): string => String(n).padStart(2, '0');
      return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
    },
    time: (ms) => times.format(new Date(ms)),
  };
}
