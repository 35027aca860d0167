/**
 * What the `model-lab` CLI says to a person, in English and Simplified Chinese: one table per
 * language keyed by message id, `{0}` placeholders as in l10n/bundle.l10n.zh-cn.json. The CLI runs
 * without VS Code, so it cannot use vscode.l10n; this module is pure and test/unit/l10n.test.ts
 * checks that both tables have the same ids and placeholders.
 *
 * What stays English on purpose: `--json` output (machine-read), and the `model-lab: training
 * failed: file:line:col:` prefix of the failure line, which the `$model-lab` problem matcher parses.
 */

import { fillPlaceholders, localeFromEnv, localeOf, type Locale } from '../protocol/locale';

export type CliLocale = Locale;

const en = {
  usage: `Usage: model-lab train FILE [options]
       model-lab run SCRIPT [--backend B] [--runs-dir DIR] [--json] [-- ARG...]
       model-lab summary FILE [--json]
       model-lab preview FILE [--json] [--limit N]
       model-lab evaluate RUN [--checkpoint best|last|final] [--json] [--runs-dir DIR]
       model-lab export RUN... --tensorboard DIR [--runs-dir DIR] [--json]
       model-lab --help | --version

Trains the model in FILE (a .ts or .js file that exports createModel() and config) in a child
process and saves the run under the runs folder.

Options:
  --epochs N        override config.epochs
  --batch-size N    override config.batchSize
  --learning-rate X override config.learningRate (a number > 0)
  --optimizer NAME  override config.optimizer: adam | sgd | rmsprop | adagrad | adadelta | adamax
  --validation-split X
                    override config.validationSplit (0 up to, not including, 1)
  --backend B       {0} (default: auto = tfjs-node if it loads, else wasm, else cpu)
  --threads N       threads for training, 1 to {1}, or auto (default: 2 when more than one
                    core is free, else 1; the fused executor's data-parallel workers)
  --runs-dir DIR    where runs are saved (default: ./.modellab/runs)
  --resume RUN      continue RUN (a run folder, or a run id in the runs folder) from its last
                    checkpoint, optimizer state included, as a new run; --epochs is the total
  --json            print every trainer message as one JSON line on stdout, nothing else
  --lang L          en | zh-cn: the language of these messages (default: VS Code's display
                    language when run from VS Code, else LC_ALL, LC_MESSAGES or LANG)
  -h, --help        show this help
  -v, --version     print the version

run: runs an ordinary tfjs training script unmodified and records every model.fit /
model.fitDataset it makes as one run, with live metrics; the words after -- are the script's own
arguments.
summary: the model's layers, output shapes and parameter counts, without training.
preview: the model file's dataset as the trainer loads it: shapes, class balance, sample images,
the first rows with column statistics, decoded text or the head of a series.
evaluate: the saved model of RUN (a run folder or id; --checkpoint best|last for a checkpoint)
judged again on the run's validation data; writes eval.json (eval-best.json, eval-last.json).

Keys while training in a terminal: p pause/resume, c checkpoint now, s or q stop.

Ctrl-C stops after the current batch (however long it takes) and saves a checkpoint and the
model; a second Ctrl-C kills the trainer.
Exit status: 0 completed or stopped, 1 failed or crashed, 2 bad arguments, 130 killed by a second
Ctrl-C (what was saved before stays; resume it with --resume).`,

  // args.ts: usage errors
  'args.needsWholeNumber': '{0} needs a whole number of at least 1, not "{1}"',
  // the option is {0}, the value typed {1}, the optimizers {2} (used by args.optimizerChoice only)
  'args.needsFraction': '{0} needs a number from 0 up to (not including) 1, not "{1}"',
  'args.needsPositive': '{0} needs a number greater than 0, not "{1}"',
  'args.optimizerChoice': '{0} must be one of {2}, not "{1}"',
  'args.givenTwice': '{0} is given twice',
  'args.takesNoValue': '{0} takes no value',
  'args.needsValue': '{0} needs a value',
  'args.backendChoice': '--backend must be one of {0}, not "{1}"',
  'args.threadsChoice': '--threads needs auto or a whole number from 1 to {0}, not "{1}"',
  'args.missingCommand': 'missing command: model-lab train FILE',
  'args.unknownOption': 'unknown option {0}',
  'args.summaryUnknownOption': 'unknown option {0}: summary takes FILE and --json only',
  'args.summaryOneFile': 'summary takes one FILE: model-lab summary FILE [--json]',
  'args.previewUnknownOption': 'unknown option {0}: preview takes FILE, --json and --limit N',
  'args.previewOneFile': 'preview takes one FILE: model-lab preview FILE [--json] [--limit N]',
  'args.evaluateUnknownOption': 'unknown option {0}: evaluate takes RUN, --checkpoint, --json and --runs-dir',
  'args.checkpointChoice': '--checkpoint must be best, last or final, not "{0}"',
  'args.evaluateOneRun': 'evaluate takes one RUN: model-lab evaluate RUN [--checkpoint best|last|final] [--json]',
  'args.runTrainOnly': 'run: the script sets its own epochs and batch size (--epochs, --batch-size and --resume are for train)',
  'args.missingScript': 'missing SCRIPT: model-lab run SCRIPT',
  'args.runOneScript': 'unexpected argument "{0}": run takes one SCRIPT; put the script\'s own arguments after --',
  'args.commandFirst': 'unknown option {0}; the command comes first: model-lab train FILE',
  'args.unknownCommand': 'unknown command "{0}"; the commands are train, run, summary, preview and evaluate',
  'args.trainOneFile': 'unexpected argument "{0}": train takes one FILE',
  'args.missingFile': 'missing FILE: model-lab train FILE',
  'args.langChoice': '--lang must be en or zh-cn, not "{0}"',

  // main.ts: checks on the disk, run control, signals
  'main.modelNotFound': 'model file not found: {0}',
  'main.scriptNotFound': 'script not found: {0}',
  'main.notAFile': 'not a file: {0}',
  'main.runsDirNotFolder': '--runs-dir is not a folder: {0}',
  'main.paused': 'paused after batch {0} of epoch {1}',
  'main.resumed': 'resumed after {0} s',
  'main.checkpointSaved': 'checkpoint {0} saved (epoch {1}, step {2}{3}): {4}',
  'main.warning': 'warning: {0}',
  'main.error': 'error: {0}',
  'main.stoppingCtrlC':
    'Stopping after the current batch: finishing it (however long it takes), then the model is saved. Press Ctrl-C again to kill the trainer.',
  'main.stoppingSignal': 'Received {0}: stopping after the current batch.',
  'main.killing': 'Killing the trainer.',
  'main.stoppingKey': 'Stopping after the current batch: finishing it, then the model is saved. Ctrl-C kills the trainer.',
  'main.pausing': 'pausing after the current batch… (p resumes)',
  'main.checkpointRequested': 'checkpoint requested: saved after the current batch',

  // progress.ts: progress, epoch summaries, the last line
  'progress.epoch': 'epoch {0}/{1}',
  'progress.batch': 'batch {0}',
  'progress.loss': 'loss {0}',
  'progress.acc': 'acc {0}',
  'progress.samplesPerSec': '{0} samples/s',
  'progress.eta': 'ETA {0}',
  'progress.seconds': '({0} s)',
  'progress.backend': 'backend: {0} ({1})',
  'progress.runOne': 'run {0}: {1} parameters, 1 epoch{2}',
  'progress.runMany': 'run {0}: {1} parameters, {2} epochs{3}',
  'progress.ofBatches': ' of {0} batches',
  'progress.ofBatchesOfSize': ' of {0} batches of {1}',
  'progress.completed': 'Training completed',
  'progress.stopped': 'Training stopped',
  'progress.failed': 'Training failed',
  'progress.crashed': 'Trainer crashed',
  'progress.end': '{0}.',
  'progress.endSaved': '{0}. Run saved in {1}',
  'progress.keys': 'keys: p pause/resume · c checkpoint now · s or q stop · Ctrl-C stop',

  // summary, preview, evaluate: their own errors
  'cmd.timeout': 'model-lab: the {0} of {1} did not finish within {2} s (an endless loop or a promise that never settles?). Set {3} to allow longer.',
  'cmd.noRun': 'no run "{0}" (neither a run folder nor a run id in {1})',
  'cmd.written': 'written: {0}',
  // export.ts
  exportUsage: `Usage: model-lab export RUN... --tensorboard DIR [--runs-dir DIR] [--json]

Writes each RUN (a run folder, relative or absolute, or a run id in the runs folder) as TensorBoard
event files in DIR/<run id>/: scalars per batch (batch/loss, …) and per epoch (epoch/loss,
epoch/val_loss, …), the config as hyperparameters and text, the model's layers as text.
Exporting a run again replaces its file. Then: tensorboard --logdir DIR

Options:
  --tensorboard DIR  the TensorBoard log folder to write into (made if missing)
  --runs-dir DIR     where run ids are looked up (default: ./.modellab/runs)
  --json             print one JSON line per exported run instead of text
Exit status: 0 exported, 1 a run could not be read or written, 2 bad arguments or no such run.`,
  'export.unknownOption': 'unknown option {0}: export takes RUN..., --tensorboard DIR, --runs-dir DIR and --json',
  'export.needsFolder': '{0} needs a folder',
  'export.needsTensorboard': 'export needs --tensorboard DIR: model-lab export RUN --tensorboard DIR',
  'export.needsRun': 'export needs a RUN: model-lab export RUN --tensorboard DIR',
  'export.isFile': '--tensorboard {0} is a file, not a folder',
  'export.cannot': 'cannot export: {0}',
  'export.done': 'exported {0}: {1} batch points, {2} epoch points, {3} tags -> {4}',
  'export.view': 'view with: tensorboard --logdir {0}',

  // evaluate.ts and preview.ts: the report's summary lines
  'eval.samples': '{0} samples: {1}',
  'eval.classification': '{0}accuracy {1} · macro precision {2} recall {3} F1 {4}',
  'eval.reconstruction': '{0}mean reconstruction error {1}',
  'preview.samples': '{0} samples · xs [{1}] · ys [{2}] · {3}',
  'preview.classBalance': 'class balance:',
  'preview.images': '{0} images: {1}',
} as const;

export type CliMessageId = keyof typeof en;

const zhCn: Record<CliMessageId, string> = {
  usage: `用法：model-lab train FILE [选项]
      model-lab run SCRIPT [--backend B] [--runs-dir DIR] [--json] [-- ARG...]
      model-lab summary FILE [--json]
      model-lab preview FILE [--json] [--limit N]
      model-lab evaluate RUN [--checkpoint best|last|final] [--json] [--runs-dir DIR]
      model-lab export RUN... --tensorboard DIR [--runs-dir DIR] [--json]
      model-lab --help | --version

在子进程中训练 FILE（导出 createModel() 和 config 的 .ts 或 .js 文件）中的模型，并把运行保存到
运行文件夹中。

选项：
  --epochs N        覆盖 config.epochs（轮数）
  --batch-size N    覆盖 config.batchSize（批大小）
  --learning-rate X 覆盖 config.learningRate（大于 0 的数）
  --optimizer NAME  覆盖 config.optimizer：adam | sgd | rmsprop | adagrad | adadelta | adamax
  --validation-split X
                    覆盖 config.validationSplit（验证集比例，0 到 1，不含 1）
  --backend B       {0}（默认：auto = 能加载 tfjs-node 时用它，否则 wasm，再否则 cpu）
  --threads N       训练用的线程数，1 到 {1}，或 auto（默认：有多于一个空闲核心时为 2，
                    否则为 1；即融合执行器的数据并行工作线程）
  --runs-dir DIR    运行的保存位置（默认：./.modellab/runs）
  --resume RUN      从 RUN（运行文件夹，或运行文件夹中的运行 ID）的最后一个检查点继续，
                    包括优化器状态，作为一次新的运行；--epochs 为总轮数
  --json            在 stdout 上把训练进程的每条消息输出为一行 JSON，不输出其他内容
  --lang L          en | zh-cn：这些消息的语言（默认：从 VS Code 运行时跟随其显示语言，
                    否则依据 LC_ALL、LC_MESSAGES 或 LANG）
  -h, --help        显示此帮助
  -v, --version     显示版本号

run：原样运行普通的 tfjs 训练脚本，把它调用的每次 model.fit / model.fitDataset 记录为一次运行，
并实时显示指标；-- 之后的参数交给脚本自己。
summary：不训练，显示模型的各层、输出形状和参数数量。
preview：按训练进程加载的方式显示模型文件的数据集：形状、类别分布、样本图像、前几行及各列统计、
解码后的文本或序列的开头。
evaluate：在运行的验证数据上重新评估 RUN（运行文件夹或 ID；--checkpoint best|last 选择检查点）
保存的模型；写入 eval.json（eval-best.json、eval-last.json）。

在终端中训练时的按键：p 暂停/继续，c 立即保存检查点，s 或 q 停止。

Ctrl-C 会在当前批次完成后停止（无论需要多久），并保存检查点和模型；再按一次 Ctrl-C 会终止训练进程。
退出状态：0 完成或已停止，1 失败或崩溃，2 参数有误，130 被第二次 Ctrl-C 终止（之前保存的内容
仍在；可用 --resume 继续）。`,

  'args.needsWholeNumber': '{0} 需要一个不小于 1 的整数，而不是“{1}”',
  'args.needsFraction': '{0} 需要一个 0 到 1 之间的数（不含 1），而不是“{1}”',
  'args.needsPositive': '{0} 需要一个大于 0 的数，而不是“{1}”',
  'args.optimizerChoice': '{0} 必须是 {2} 之一，而不是“{1}”',
  'args.givenTwice': '{0} 指定了两次',
  'args.takesNoValue': '{0} 不接受值',
  'args.needsValue': '{0} 需要一个值',
  'args.backendChoice': '--backend 必须是 {0} 之一，而不是“{1}”',
  'args.threadsChoice': '--threads 需要 auto 或 1 到 {0} 之间的整数，而不是“{1}”',
  'args.missingCommand': '缺少命令：model-lab train FILE',
  'args.unknownOption': '未知选项 {0}',
  'args.summaryUnknownOption': '未知选项 {0}：summary 只接受 FILE 和 --json',
  'args.summaryOneFile': 'summary 只接受一个 FILE：model-lab summary FILE [--json]',
  'args.previewUnknownOption': '未知选项 {0}：preview 只接受 FILE、--json 和 --limit N',
  'args.previewOneFile': 'preview 只接受一个 FILE：model-lab preview FILE [--json] [--limit N]',
  'args.evaluateUnknownOption': '未知选项 {0}：evaluate 只接受 RUN、--checkpoint、--json 和 --runs-dir',
  'args.checkpointChoice': '--checkpoint 必须是 best、last 或 final，而不是“{0}”',
  'args.evaluateOneRun': 'evaluate 只接受一个 RUN：model-lab evaluate RUN [--checkpoint best|last|final] [--json]',
  'args.runTrainOnly': 'run：脚本自行设置轮数和批大小（--epochs、--batch-size 和 --resume 用于 train）',
  'args.missingScript': '缺少 SCRIPT：model-lab run SCRIPT',
  'args.runOneScript': '多余的参数“{0}”：run 只接受一个 SCRIPT；脚本自己的参数请放在 -- 之后',
  'args.commandFirst': '未知选项 {0}；命令要放在最前面：model-lab train FILE',
  'args.unknownCommand': '未知命令“{0}”；可用的命令有 train、run、summary、preview 和 evaluate',
  'args.trainOneFile': '多余的参数“{0}”：train 只接受一个 FILE',
  'args.missingFile': '缺少 FILE：model-lab train FILE',
  'args.langChoice': '--lang 必须是 en 或 zh-cn，而不是“{0}”',

  'main.modelNotFound': '找不到模型文件：{0}',
  'main.scriptNotFound': '找不到脚本：{0}',
  'main.notAFile': '不是文件：{0}',
  'main.runsDirNotFolder': '--runs-dir 不是文件夹：{0}',
  'main.paused': '已在第 {1} 轮的第 {0} 个批次后暂停',
  'main.resumed': '暂停 {0} 秒后已继续',
  'main.checkpointSaved': '已保存 {0} 检查点（第 {1} 轮，第 {2} 步{3}）：{4}',
  'main.warning': '警告：{0}',
  'main.error': '错误：{0}',
  'main.stoppingCtrlC': '将在当前批次完成后停止：先完成它（无论需要多久），然后保存模型。再按一次 Ctrl-C 可终止训练进程。',
  'main.stoppingSignal': '收到 {0}：将在当前批次完成后停止。',
  'main.killing': '正在终止训练进程。',
  'main.stoppingKey': '将在当前批次完成后停止：先完成它，然后保存模型。按 Ctrl-C 可终止训练进程。',
  'main.pausing': '将在当前批次完成后暂停…（按 p 继续）',
  'main.checkpointRequested': '已请求检查点：将在当前批次完成后保存',

  'progress.epoch': '第 {0}/{1} 轮',
  'progress.batch': '批次 {0}',
  'progress.loss': '损失 {0}',
  'progress.acc': '准确率 {0}',
  'progress.samplesPerSec': '{0} 样本/秒',
  'progress.eta': '剩余 {0}',
  'progress.seconds': '（{0} 秒）',
  'progress.backend': '后端：{0}（{1}）',
  'progress.runOne': '运行 {0}：{1} 个参数，1 轮{2}',
  'progress.runMany': '运行 {0}：{1} 个参数，{2} 轮{3}',
  'progress.ofBatches': '，每轮 {0} 个批次',
  'progress.ofBatchesOfSize': '，每轮 {0} 个批次，批大小 {1}',
  'progress.completed': '训练完成',
  'progress.stopped': '训练已停止',
  'progress.failed': '训练失败',
  'progress.crashed': '训练进程崩溃',
  'progress.end': '{0}。',
  'progress.endSaved': '{0}。运行已保存到 {1}',
  'progress.keys': '按键：p 暂停/继续 · c 立即保存检查点 · s 或 q 停止 · Ctrl-C 停止',

  'cmd.timeout': 'model-lab：{1} 的 {0} 未能在 {2} 秒内完成（是否有死循环或永不完成的 promise？）。可设置 {3} 以允许更长时间。',
  'cmd.noRun': '没有运行“{0}”（既不是运行文件夹，也不是 {1} 中的运行 ID）',
  'cmd.written': '已写入：{0}',
  exportUsage: `用法：model-lab export RUN... --tensorboard DIR [--runs-dir DIR] [--json]

把每个 RUN（运行文件夹，相对或绝对路径，或运行文件夹中的运行 ID）写成 DIR/<运行 ID>/ 中的
TensorBoard 事件文件：每个批次的标量（batch/loss, …）和每轮的标量（epoch/loss、epoch/val_loss, …），
config 作为超参数和文本，模型的各层作为文本。再次导出同一运行会替换它的文件。
之后：tensorboard --logdir DIR

选项：
  --tensorboard DIR  要写入的 TensorBoard 日志文件夹（不存在时创建）
  --runs-dir DIR     查找运行 ID 的位置（默认：./.modellab/runs）
  --json             每个导出的运行输出一行 JSON，而不是文本
退出状态：0 已导出，1 某个运行无法读取或写入，2 参数有误或没有该运行。`,
  'export.unknownOption': '未知选项 {0}：export 只接受 RUN...、--tensorboard DIR、--runs-dir DIR 和 --json',
  'export.needsFolder': '{0} 需要一个文件夹',
  'export.needsTensorboard': 'export 需要 --tensorboard DIR：model-lab export RUN --tensorboard DIR',
  'export.needsRun': 'export 需要一个 RUN：model-lab export RUN --tensorboard DIR',
  'export.isFile': '--tensorboard {0} 是文件，不是文件夹',
  'export.cannot': '无法导出：{0}',
  'export.done': '已导出 {0}：{1} 个批次数据点，{2} 个轮次数据点，{3} 个标签 -> {4}',
  'export.view': '查看方式：tensorboard --logdir {0}',

  'eval.samples': '{0} 个样本：{1}',
  'eval.classification': '{0}准确率 {1} · 宏平均 精确率 {2} 召回率 {3} F1 {4}',
  'eval.reconstruction': '{0}平均重建误差 {1}',
  'preview.samples': '{0} 个样本 · xs [{1}] · ys [{2}] · {3}',
  'preview.classBalance': '类别分布：',
  'preview.images': '{0} 张图像：{1}',
};

/** Both tables, for the completeness test. */
export const CLI_MESSAGES: Readonly<Record<CliLocale, Readonly<Record<CliMessageId, string>>>> = { en, 'zh-cn': zhCn };

let current: CliLocale = 'en';

/** Set once by main() from --lang and the environment; everything the CLI prints follows it. */
export function setCliLocale(locale: CliLocale): void {
  current = locale;
}

export function cliLocale(): CliLocale {
  return current;
}

/** The message `id` in `locale` (default: the CLI's), `{n}` replaced by `args[n]`. */
export function formatMessage(locale: CliLocale, id: CliMessageId, ...args: (string | number)[]): string {
  return fillPlaceholders(CLI_MESSAGES[locale][id], args);
}

/** The message `id` in the CLI's current language. */
export function t(id: CliMessageId, ...args: (string | number)[]): string {
  return formatMessage(current, id, ...args);
}

/**
 * The CLI's language, and argv without `--lang`: `--lang en|zh-cn` (or `--lang=…`, before `--`)
 * first; then VS Code's display language (VSCODE_NLS_CONFIG, which the extension passes to the
 * tasks it starts); then the POSIX locale (LC_ALL, LC_MESSAGES, LANG: the first one set); else en.
 */
export function resolveCliLocale(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { locale: CliLocale; argv: string[]; error?: string } {
  const rest: string[] = [];
  let flag: string | undefined;
  let error: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--lang' || a.startsWith('--lang=')) {
      const value = a === '--lang' ? argv[++i] : a.slice('--lang='.length);
      if (value === undefined || !/^(en|zh-cn|zh)$/i.test(value)) error = value ?? '';
      else flag = value;
      continue;
    }
    rest.push(a);
  }
  const locale = flag !== undefined ? localeOf(flag) : localeFromEnv(env);
  return { locale, argv: rest, ...(error !== undefined && { error: formatMessage(locale, 'args.langChoice', error) }) };
}
