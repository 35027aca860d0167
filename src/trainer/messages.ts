/**
 * What the trainer says to a person when a run cannot go on, in English and Simplified Chinese:
 * one table per language keyed by message id, `{0}` placeholders, as src/cli/messages.ts does for
 * the CLI. The trainer is a child process without VS Code, so it cannot use vscode.l10n; its
 * language is the CLI's `--lang` (passed as MODEL_LAB_LANG) or else VS Code's display language or
 * the POSIX locale (src/protocol/locale.ts, the rule the CLI uses). test/unit/l10n.test.ts checks
 * that both tables have the same ids and placeholders.
 *
 * Identifiers, file paths, shapes and numbers stay as they are inside the Chinese sentences, so a
 * user can search for them. What stays English on purpose: internal invariant errors (a bug in
 * Model Lab, never caused by input) and the raw texts of tfjs and Node kept in `details`.
 */
import { fillPlaceholders, localeFromEnv, localeOf, TRAINER_LANG_ENV, type Locale } from '../protocol/locale';

const en = {
  // errors.ts: any thrown value as a RunError
  'error.during': '{0}: {1}',
  'oom.tensor': 'Out of memory: a tensor of {0} values (~{1} GB as float32) cannot be allocated; make the layer or the batch smaller',
  'oom.tensorUnknown': 'Out of memory: a tensor cannot be allocated; make the layer or the batch smaller',
  'fit.inputs': 'The model has {0} inputs, but the data "{1}" gives one input of shape {2}',
  'fit.outputs': 'The model has {0} outputs, but the data "{1}" gives one label tensor of shape {2}',
  'fit.input': 'Model input expects {0} but the data "{1}" gives {2}',
  'fit.output': 'Model output is {0} but the data "{1}" has labels {2}',

  // explainBuildError.ts: a layer's window larger than its input
  'build.tooLarge': "{0} on line {1}: the {2} ({3}) is larger than the {4} {5} (input {6}: {7}). Use {8} ≤ {9}, padding: 'same', or downsample less before it.",
  'build.kernel': 'kernel',
  'build.poolWindow': 'pool window',
  'build.sequence': 'sequence of {0} steps',
  'build.featureMap': '{0} feature map',
  'build.itGets': 'it gets',
  'build.lineMakes': 'that line {0} makes',

  // outOfMemory.ts
  'oom.wasmBackend': 'the WebAssembly backend (at most 4 GiB of memory)',
  'oom.backend': 'the {0} backend',
  'oom.layer': ': layer "{0}" holds {1} of float32 weights (the model {2}), and training needs as much again for gradients plus the optimizer\'s state',
  'oom.message': 'Out of memory in {0}{1}; make the largest layer or the batch smaller{2} ({3})',
  'oom.useTensorflow': ', or use the tensorflow backend',

  // durable.ts
  'disk.full': 'The disk is full: could not write {0} ({1}). Free some space; the metrics and checkpoints written before are kept',

  // data/dataError.ts: where in a data file
  'data.at': '{0}: {1}',
  'data.row': 'row {0}',
  'data.item': 'item {0}',
  'data.offset': 'byte offset {0}',
  'data.listSep': ', ',
  'data.notAFile': 'not a file',
  'data.cannotRead': 'cannot read: {0}',
  'data.empty': 'the file is empty (0 bytes)',
  'data.overLimit': 'the file is {0} bytes, more than the {1}-byte limit for this loader',
  'data.overTextLimit': 'the file is {0}, more than the {1} limit for {2}. {3}',

  // data/csv*.ts
  'csv.noRows': 'no rows',
  'csv.width': '{0} columns, but the header has {1}',
  'csv.widthFirstRow': '{0} columns, but the first row has {1}',
  'csv.widthChanged': '{0} columns, but the file has {1} (did it change while being read?)',
  'csv.cannotParse': 'cannot parse CSV: {0}',
  'csv.columnOutOfRange': '{0} column {1} is out of range: the file has {2} columns (0..{3}): {4}',
  'csv.columnNotFound': '{0} column "{1}" not found; the columns are: {2}',
  'csv.labelIsFeature': 'column "{0}" is both the label and a feature',
  'csv.noFeatures': 'no feature columns: the file has only the label column "{0}"',
  'csv.noDataRows': 'no data rows',
  'csv.noLabels': 'all {0} data rows lack a label',
  'csv.notFinite': 'column "{0}" holds "{1}", which is not a finite number; replace it, or list it in missingValues to impute it',
  'csv.tooManyCategories': 'feature column "{0}" has more than {1} distinct values, too many to one-hot{2}; leave it out of `features` or raise `maxCategories`',
  'csv.firstText': ' (its first non-numeric value is "{0}" on line {1})',
  'csv.labelNotNumeric': 'label column "{0}" is not numeric ("{1}"), so it cannot be a regression target',
  'csv.tooManyClasses': "label column \"{0}\" has more than {1} distinct values, too many classes (use task: 'regression' for a numeric target)",
  'csv.overflows': 'column "{0}" holds "{1}", which overflows float32 once normalized',
  'csv.valueNotFinite': 'column "{0}" holds "{1}", which is not a finite number',
  'csv.unknownClass': 'label "{0}" is not one of the classes seen in the first pass ({1})',
  'csv.labelNotFinite': 'label column "{0}" holds "{1}", which is not a finite number',

  // data/npy.ts
  'npy.notNpy': 'not a .npy file: expected the magic "\\x93NUMPY", found {0}',
  'npy.version': 'unsupported .npy format version {0}.{1} (supported: 1.0, 2.0, 3.0)',
  'npy.truncatedLength': 'truncated: the file ends inside the header length',
  'npy.truncatedHeader': 'truncated header: it should be {0} bytes from offset {1}, but the file is {2} bytes',
  'npy.badHeader': 'bad header ({0}): {1}',
  'npy.truncatedData': "truncated data: shape ({0}) of '{1}' needs {2} bytes after the {3}-byte header, but only {4} bytes follow",
  'npy.about': 'about {0}',
  'npy.notFinite': 'element [{0}] is {1}{2}: training data must be finite; replace NaN/Infinity in NumPy first (e.g. np.nan_to_num)',
  'npy.beyondFloat32': " (or a float64 beyond float32's ±3.4e38)",
  'npy.int32': "element {0} ({1}) of this '{2}' array does not fit in int32, the widest integer tfjs has; convert it to float in NumPy first",

  // data/idx.ts
  'idx.gzipTooLarge': 'gzip data decompresses to more than {0} bytes (the limit); is this the right file?',
  'idx.gzipCorrupt': 'corrupt or truncated gzip data: {0}',
  'idx.gzipEmpty': 'gzip data decompresses to 0 bytes',
  'idx.tooShort': 'only {0} bytes; an IDX file starts with a 4-byte magic number',
  'idx.magic':
    'wrong magic number {0}: expected an IDX magic such as {1} (images) or {2} (labels) — two zero bytes, a type code (08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64), then 1–255 dimensions',
  'idx.truncatedHeader': 'truncated header: {0} dimensions need {1} header bytes, the file has {2}',
  'idx.truncatedData': 'truncated data: the header says {0} {1} = {2} after the {3}-byte header, but only {4} bytes follow (the file is {5} bytes: {6} whole items of {7})',
  'idx.trailing': '{0} unexpected bytes after the data: the header says {1} {2} = {3} bytes, the file has {4} after the header',
  'idx.notFinite': 'element [{0}] is {1}: training data must be finite',
  'idx.notImages': 'expected uint8 images of shape [N, H, W] or [N, H, W, C] (magic {0}), found {1} [{2}]',
  'idx.notLabels': 'expected uint8 labels of shape [N] (magic {0}), found {1} [{2}]',
  'idx.countMismatch': '{0} labels for {1} images in {2}: the counts must match',
  'idx.labelRange': 'label {0} is out of range: expected 0–{1}',

  // callbacks.ts: config.callbacks and friends, naming the key
  'config.notAnOption': '{0} is not an option (options: {1})',
  'config.mustBe': '{0} must be {1} (got {2})',
  'config.optionsOrBool': '{0} must be an options object, true or false (got {1})',
  'config.noValidation': '{0} is "{1}", but the run has no validation data (validationSplit is 0): monitor "{2}" or set validationSplit',
  'config.optionsObject': '{0} must be an options object (got {1})',
  'config.lrScheduleObject': "{0} must be an options object such as { type: 'cosine' } (got {1})",
  'config.lrScheduleType': '{0} must be "step", "exponential" or "cosine" (got {1})',
  'config.twoSchedules': '{0} and {1} both set the learning rate each epoch: use one of them',

  // modelContract.ts and runTraining.ts: the model file's exports and config
  'config.notObject': '{0}: the exported config must be an object (found {1})',
  'config.notObjectPlain': '{0}: the exported config must be an object',
  'config.unknownKey': '{0}: unknown config key "{1}" — did you mean "{2}"? (the config keys: {3})',
  'config.keyMustBe': '{0}: config.{1} must be {2} (got {3}){4}',
  'config.lrOnInstance': '{0}: config.learningRate cannot be applied to an optimizer instance; give it to the optimizer (tf.train.adam({1})) or name the optimizer ("adam")',
  'config.unknownName': '{0}: config.{1}: unknown {2} "{3}"{4} (known: {5})',
  'config.didYouMean': ' — did you mean "{0}"?',
  'config.unknownDataset': '{0}: Unknown dataset "{1}" in config.dataset. Known datasets: {2}; or an object with a type: {3}',
  'model.noCreateModel': '{0} does not export a createModel() function or a default export (found: {1})',
  'model.noExports': 'no exports',
  'model.createNotFunctionFresh': '{0}: {1} is {2}, not {3} — export `function createModel() { … return model; }` so each run gets a fresh model',
  'model.createNotFunction': '{0}: {1} is {2}, not {3}',
  'model.loadDataNotFunction': '{0}: loadData is {1}, not a function returning {xs, ys} tensors or a tf.data.Dataset',
  'model.notLayersModel': '{0} in {1} returned {2}, not a tf.LayersModel (tf.sequential() or tf.model())',
  'model.theDefaultExport': 'The default export',
  'model.noInputShape': 'The model from {0} has no input shape: give its first layer an inputShape (e.g. inputShape: [28, 28, 1])',
  'model.notCompiled': 'The model from {0} is not compiled and config.loss is not set{1}; call model.compile() in createModel() or set config.loss',
  'model.noLossInferred': ', and no loss can be inferred: {0}',
  'model.compileFailed': 'Compiling the model from {0} failed',
  'data.loadDataNotFinite': '{0}: loadData() {1} (shape [{2}]): training data must be finite numbers; fix or drop that sample',
  'data.nonFinite': '{0}[{1}] is {2}',
  'data.noTrainingRows': 'No training samples: {0} has no training rows',
  'data.noTrainingSamples': 'No training samples: {0} samples with validationSplit {1}',
  'data.emptyDataset': 'No training samples: the tf.data.Dataset is empty',

  // checkpoints.ts and runTraining.ts: --resume
  'resume.noRun': 'Cannot resume: no run "{0}" in {1}',
  'resume.noCheckpoint': 'Cannot resume {0}: it has no readable checkpoint ({1})',
  'resume.noWeights': '{0} holds no weights',
  'resume.doesNotFit': 'The checkpoint in {0} does not fit the model: {1}. Was the model file changed since that run?',
  'resume.alreadyTrained': 'Run {0} already trained {1} of {2} epochs: ask for more epochs (--epochs {3} or more) to continue it',
  'model.loadingFailed': 'Loading {0} failed',
  'model.createFailed': '{0} failed',
  'model.loadDataFailed': 'loadData() failed',
  'want.wholeNumber': 'a whole number ≥ 1',
  'want.fraction': 'a number from 0 up to (not including) 1',
  'want.bool': 'true or false',
  'want.positive': 'a number > 0',
  'want.optimizerName': 'one of {0} or a tf.train optimizer',
  'want.optimizer': 'one of {0} or a tf.train optimizer such as tf.train.adam(0.001)',
  'want.nameOrFunction': '{0} name or function, an array of them, or an object by output name',
  'want.dataset': 'the name of a built-in dataset or a dataset spec object',
  'want.strings': 'an array of strings',
  'data.tensorArg': '{0}: loadData() {1} must be a tf.Tensor, an array of tensors (one per model input/output) or an object of tensors by name; got {2}',
  'data.validationForm': '{0}: loadData() validation must be {xs, ys} tensors or a tf.data.Dataset; got {1}',
  'data.validationMixed': '{0}: loadData() gave tensors but a tf.data.Dataset for validation; give validation as {xs, ys} tensors too',
  'data.loadDataForm': '{0}: loadData() returned {1}; return { xs, ys } (tensors), { xs, ys, validation: { xs, ys } }, or a tf.data.Dataset of { xs, ys }',
  'config.keyMustBeJson': '{0}: config.{1} must be {2} (got {3})',
  'want.layersModelFactory': 'a function that builds and returns a tf.LayersModel',
  'model.createNotAFunction': 'exports a createModel/default that is not a function',
  'model.noCreateExport': 'does not export a createModel() function or a default export',
  'model.exportsProblem': '{0} {1} (found: {2})',
  'timeout.load': '{0} did not finish {1} within {2} s (an endless loop or a promise that never settles?). Set {3} to allow longer.',
  'timeout.loading': 'loading',
  'timeout.building': 'building its model (createModel)',
  'nan.loss': 'Loss became {0} at epoch {1}, batch {2} (step {3}): the model diverged. Try a lower learning rate, or check the data for NaN.',
  'nan.weights': 'Weight {0} after epoch {1}, batch {2} (step {3}): the weights are no longer finite, so the model is unusable. Check the data for NaN or Infinity, or try a lower learning rate.',
  'nan.evaluate': 'Cannot evaluate: the model\'s weights are not finite ({0}); its training diverged or its data held NaN',
  'spec.unknownName': '{0}: config.dataset "{1}" is not a known dataset. Known names: {2}; or an object with a type: {3}',
  'spec.notObject': '{0}: config.dataset must be a dataset name ({1}) or an object like { type: \'csv\', path: \'./data.csv\' } (got {2})',
  'spec.anArray': 'an array',
  'spec.typeMissing': '{0}: config.dataset.type is missing. Known types: {1}',
  'spec.typeUnknown': '{0}: config.dataset.type {1} is not known. Known types: {2}',
  'spec.notAnOption': '{0}: config.dataset.{1} is not an option of type \'{2}\'. Its options: {3}',
  'spec.none': '(none)',
  'spec.mustBe': '{0}: config.dataset.{1} must be {2} (got {3})',
  'spec.missing': '{0}: config.dataset.{1} is missing: type \'{2}\' needs {3}',
  'spec.both': '{0}: config.dataset: give .{1} or .{2}, not both',
  'spec.missingEither': '{0}: config.dataset.{1} is missing: type \'{2}\' needs {3}, or .{4} with {5} to download it once',
  'spec.hashNeedsUrl': '{0}: config.dataset.{1} checks a download: it needs .{2}',
  'spec.want.oneOf': 'one of {0}',
  'spec.want.path': 'a file or folder path (a non-empty string)',
  'spec.want.string': 'a string',
  'spec.want.boolean': 'true or false',
  'spec.want.int': 'a whole number',
  'spec.want.posInt': 'a whole number ≥ 1',
  'spec.want.number': 'a finite number',
  'spec.want.nonNeg': 'a number ≥ 0',
  'spec.want.fraction': 'a number from 0 up to (not including) 1',
  'spec.want.column': 'a column name or a 0-based column index',
  'spec.want.columns': 'a list of column names or 0-based indices',
  'spec.want.strings': 'a list of strings',
  'spec.want.size2': 'a [height, width] pair of whole numbers ≥ 1',
  'spec.want.centers': 'a whole number ≥ 2 or a list of points of the same length, e.g. [[0, 0], [3, 3]]',
  'spec.want.url': 'an http:// or https:// URL',
  'spec.want.sha256': 'a SHA-256 digest, 64 hex digits',
} as const;

export type TrainerMessageId = keyof typeof en;

const zhCn: Record<TrainerMessageId, string> = {
  'error.during': '{0}：{1}',
  'oom.tensor': '内存不足：无法分配一个含 {0} 个值的张量（按 float32 约 {1} GB）；请把该层或批大小调小',
  'oom.tensorUnknown': '内存不足：无法分配张量；请把该层或批大小调小',
  'fit.inputs': '模型有 {0} 个输入，但数据“{1}”只给出一个形状为 {2} 的输入',
  'fit.outputs': '模型有 {0} 个输出，但数据“{1}”只给出一个形状为 {2} 的标签张量',
  'fit.input': '模型输入期望 {0}，但数据“{1}”给出 {2}',
  'fit.output': '模型输出为 {0}，但数据“{1}”的标签为 {2}',

  'build.tooLarge': "第 {1} 行的 {0}：{2}（{3}）大于{5}的 {4}（输入 {6}：{7}）。请改用 {8} ≤ {9}、padding: 'same'，或在它之前少做下采样。",
  'build.kernel': '卷积核',
  'build.poolWindow': '池化窗口',
  'build.sequence': '{0} 步的序列',
  'build.featureMap': '{0} 特征图',
  'build.itGets': '它收到',
  'build.lineMakes': '第 {0} 行产生',

  'oom.wasmBackend': 'WebAssembly 后端（最多 4 GiB 内存）',
  'oom.backend': '{0} 后端',
  'oom.layer': '：层“{0}”有 {1} 的 float32 权重（整个模型 {2}），训练还需要同样多的内存存放梯度，外加优化器的状态',
  'oom.message': '{0}内存不足{1}；请把最大的层或批大小调小{2}（{3}）',
  'oom.useTensorflow': '，或改用 tensorflow 后端',

  'disk.full': '磁盘已满：无法写入 {0}（{1}）。请释放一些空间；之前写入的指标和检查点都会保留',

  'data.at': '{0}：{1}',
  'data.row': '第 {0} 行',
  'data.item': '第 {0} 项',
  'data.offset': '字节偏移 {0}',
  'data.listSep': '，',
  'data.notAFile': '不是文件',
  'data.cannotRead': '无法读取：{0}',
  'data.empty': '文件为空（0 字节）',
  'data.overLimit': '文件大小为 {0} 字节，超过了此加载器 {1} 字节的上限',
  'data.overTextLimit': '文件大小为 {0}，超过了{2}的 {1} 上限。{3}',

  'csv.noRows': '没有任何行',
  'csv.width': '有 {0} 列，但表头有 {1} 列',
  'csv.widthFirstRow': '有 {0} 列，但第一行有 {1} 列',
  'csv.widthChanged': '有 {0} 列，但文件有 {1} 列（读取时文件被改动了吗？）',
  'csv.cannotParse': '无法解析 CSV：{0}',
  'csv.columnOutOfRange': '{0}列 {1} 超出范围：文件有 {2} 列（0..{3}）：{4}',
  'csv.columnNotFound': '找不到{0}列“{1}”；现有的列：{2}',
  'csv.labelIsFeature': '列“{0}”既是标签又是特征',
  'csv.noFeatures': '没有特征列：文件只有标签列“{0}”',
  'csv.noDataRows': '没有数据行',
  'csv.noLabels': '全部 {0} 个数据行都缺少标签',
  'csv.notFinite': '列“{0}”中的值“{1}”不是有限数；请替换它，或把它列入 missingValues 以便填补',
  'csv.tooManyCategories': '特征列“{0}”有超过 {1} 个不同的值，太多，无法做独热编码{2}；请把它从 `features` 中去掉，或调大 `maxCategories`',
  'csv.firstText': '（它的第一个非数值是第 {1} 行的“{0}”）',
  'csv.labelNotNumeric': '标签列“{0}”不是数值（“{1}”），因此不能作为回归目标',
  'csv.tooManyClasses': "标签列“{0}”有超过 {1} 个不同的值，类别太多（数值目标请用 task: 'regression'）",
  'csv.overflows': '列“{0}”中的值“{1}”在归一化后超出 float32 的范围',
  'csv.valueNotFinite': '列“{0}”中的值“{1}”不是有限数',
  'csv.unknownClass': '标签“{0}”不在第一遍读取时见到的类别之中（{1}）',
  'csv.labelNotFinite': '标签列“{0}”中的值“{1}”不是有限数',

  'npy.notNpy': '不是 .npy 文件：期望魔数 "\\x93NUMPY"，实际为 {0}',
  'npy.version': '不支持的 .npy 格式版本 {0}.{1}（支持：1.0、2.0、3.0）',
  'npy.truncatedLength': '文件被截断：在表头长度字段内就结束了',
  'npy.truncatedHeader': '表头被截断：应从偏移 {1} 起有 {0} 字节，但文件只有 {2} 字节',
  'npy.badHeader': '表头有误（{0}）：{1}',
  'npy.truncatedData': "数据被截断：'{1}' 类型、形状 ({0}) 的数组在 {3} 字节的表头之后需要 {2} 字节，但后面只有 {4} 字节",
  'npy.about': '约 {0}',
  'npy.notFinite': '元素 [{0}] 为 {1}{2}：训练数据必须是有限数；请先在 NumPy 中替换 NaN/Infinity（例如 np.nan_to_num）',
  'npy.beyondFloat32': '（或是超出 float32 ±3.4e38 范围的 float64）',
  'npy.int32': "这个 '{2}' 数组的元素 {0}（{1}）超出 int32 的范围（int32 是 tfjs 最宽的整数类型）；请先在 NumPy 中把它转换为浮点数",

  'idx.gzipTooLarge': 'gzip 数据解压后超过 {0} 字节（上限）；文件选对了吗？',
  'idx.gzipCorrupt': 'gzip 数据损坏或被截断：{0}',
  'idx.gzipEmpty': 'gzip 数据解压后为 0 字节',
  'idx.tooShort': '只有 {0} 字节；IDX 文件以 4 字节的魔数开头',
  'idx.magic':
    '魔数 {0} 有误：期望 IDX 魔数，例如 {1}（图像）或 {2}（标签）——两个零字节、一个类型码（08 uint8、09 int8、0B int16、0C int32、0D float32、0E float64），然后是 1–255 个维度',
  'idx.truncatedHeader': '表头被截断：{0} 个维度需要 {1} 字节的表头，文件只有 {2} 字节',
  'idx.truncatedData': '数据被截断：表头写的是 {0} {1} = {2}（在 {3} 字节的表头之后），但后面只有 {4} 字节（文件共 {5} 字节：{7} 项中只有 {6} 项完整）',
  'idx.trailing': '数据之后多出 {0} 个字节：表头写的是 {1} {2} = {3} 字节，而文件在表头之后有 {4} 字节',
  'idx.notFinite': '元素 [{0}] 为 {1}：训练数据必须是有限数',
  'idx.notImages': '期望形状为 [N, H, W] 或 [N, H, W, C] 的 uint8 图像（魔数 {0}），实际为 {1} [{2}]',
  'idx.notLabels': '期望形状为 [N] 的 uint8 标签（魔数 {0}），实际为 {1} [{2}]',
  'idx.countMismatch': '{2} 中有 {1} 张图像，却有 {0} 个标签：两者数量必须相同',
  'idx.labelRange': '标签 {0} 超出范围：应为 0–{1}',

  'config.notAnOption': '{0} 不是可用的选项（可用选项：{1}）',
  'config.mustBe': '{0} 必须是 {1}（得到 {2}）',
  'config.optionsOrBool': '{0} 必须是选项对象、true 或 false（得到 {1}）',
  'config.noValidation': '{0} 为“{1}”，但这次运行没有验证数据（validationSplit 为 0）：请监视“{2}”，或设置 validationSplit',
  'config.optionsObject': '{0} 必须是选项对象（得到 {1}）',
  'config.lrScheduleObject': "{0} 必须是选项对象，例如 { type: 'cosine' }（得到 {1}）",
  'config.lrScheduleType': '{0} 必须是 "step"、"exponential" 或 "cosine"（得到 {1}）',
  'config.twoSchedules': '{0} 和 {1} 都会在每轮设置学习率：只能用其中一个',

  'config.notObject': '{0}：导出的 config 必须是对象（实际为 {1}）',
  'config.notObjectPlain': '{0}：导出的 config 必须是对象',
  'config.unknownKey': '{0}：未知的 config 键“{1}”——是不是“{2}”？（config 的键：{3}）',
  'config.keyMustBe': '{0}：config.{1} 必须是 {2}（得到 {3}）{4}',
  'config.lrOnInstance': '{0}：config.learningRate 不能用于优化器实例；请把它传给优化器（tf.train.adam({1})），或用名字指定优化器（"adam"）',
  'config.unknownName': '{0}：config.{1}：未知的{2}“{3}”{4}（已知：{5}）',
  'config.didYouMean': '——是不是“{0}”？',
  'config.unknownDataset': '{0}：config.dataset 中的数据集“{1}”未知。已知的数据集：{2}；或使用带 type 的对象：{3}',
  'model.noCreateModel': '{0} 没有导出 createModel() 函数或默认导出（找到：{1}）',
  'model.noExports': '没有任何导出',
  'model.createNotFunctionFresh': '{0}：{1} 是 {2}，而不是 {3}——请导出 `function createModel() { … return model; }`，让每次运行都得到一个新模型',
  'model.createNotFunction': '{0}：{1} 是 {2}，而不是 {3}',
  'model.loadDataNotFunction': '{0}：loadData 是 {1}，而不是返回 {xs, ys} 张量或 tf.data.Dataset 的函数',
  'model.notLayersModel': '{1} 中的 {0} 返回了 {2}，而不是 tf.LayersModel（tf.sequential() 或 tf.model()）',
  'model.theDefaultExport': '默认导出',
  'model.noInputShape': '{0} 的模型没有输入形状：请给它的第一层设置 inputShape（例如 inputShape: [28, 28, 1]）',
  'model.notCompiled': '{0} 的模型没有编译，也没有设置 config.loss{1}；请在 createModel() 中调用 model.compile()，或设置 config.loss',
  'model.noLossInferred': '，而且无法推断损失函数：{0}',
  'model.compileFailed': '编译 {0} 的模型失败',
  'data.loadDataNotFinite': '{0}：loadData() {1}（形状 [{2}]）：训练数据必须是有限数；请修正或删除该样本',
  'data.nonFinite': '{0}[{1}] 为 {2}',
  'data.noTrainingRows': '没有训练样本：{0} 中没有训练行',
  'data.noTrainingSamples': '没有训练样本：{0} 个样本，validationSplit 为 {1}',
  'data.emptyDataset': '没有训练样本：tf.data.Dataset 是空的',

  'resume.noRun': '无法继续：{1} 中没有运行“{0}”',
  'resume.noCheckpoint': '无法继续 {0}：它没有可读的检查点（{1}）',
  'resume.noWeights': '{0} 中没有权重',
  'resume.doesNotFit': '{0} 中的检查点与模型不符：{1}。那次运行之后模型文件改过吗？',
  'resume.alreadyTrained': '运行 {0} 已经训练了 {2} 轮中的 {1} 轮：要继续，请要求更多轮数（--epochs {3} 或更多）',
  'model.loadingFailed': '加载 {0} 失败',
  'model.createFailed': '{0} 失败',
  'model.loadDataFailed': 'loadData() 失败',
  'want.wholeNumber': '≥ 1 的整数',
  'want.fraction': '0 到 1 之间的数（不含 1）',
  'want.bool': 'true 或 false',
  'want.positive': '大于 0 的数',
  'want.optimizerName': '{0} 之一或 tf.train 优化器',
  'want.optimizer': '{0} 之一或 tf.train 优化器，例如 tf.train.adam(0.001)',
  'want.nameOrFunction': '{0}名称或函数、它们的数组，或按输出名组织的对象',
  'want.dataset': '内置数据集的名称或数据集描述对象',
  'want.strings': '字符串数组',
  'data.tensorArg': '{0}：loadData() 的 {1} 必须是 tf.Tensor、张量数组（每个模型输入/输出一个）或按名称组织的张量对象；实际为 {2}',
  'data.validationForm': '{0}：loadData() 的 validation 必须是 {xs, ys} 张量或 tf.data.Dataset；实际为 {1}',
  'data.validationMixed': '{0}：loadData() 给出了张量，validation 却是 tf.data.Dataset；请把 validation 也给成 {xs, ys} 张量',
  'data.loadDataForm': '{0}：loadData() 返回了 {1}；请返回 { xs, ys }（张量）、{ xs, ys, validation: { xs, ys } }，或由 { xs, ys } 组成的 tf.data.Dataset',
  'config.keyMustBeJson': '{0}：config.{1} 必须是 {2}（得到 {3}）',
  'want.layersModelFactory': '构建并返回 tf.LayersModel 的函数',
  'model.createNotAFunction': '导出的 createModel/默认导出不是函数',
  'model.noCreateExport': '没有导出 createModel() 函数或默认导出',
  'model.exportsProblem': '{0} {1}（找到：{2}）',
  'timeout.load': '{0} 没有在 {2} 秒内完成{1}（死循环，还是一个永远不会完成的 promise？）。如需更长时间，请设置 {3}。',
  'timeout.loading': '加载',
  'timeout.building': '构建模型（createModel）',
  'nan.loss': '第 {1} 轮第 {2} 批（第 {3} 步）的损失变成了 {0}：模型发散了。请尝试更低的学习率，或检查数据中是否有 NaN。',
  'nan.weights': '第 {1} 轮第 {2} 批（第 {3} 步）之后，权重 {0}：权重已不再是有限数，模型无法使用。请检查数据中是否有 NaN 或 Infinity，或尝试更低的学习率。',
  'nan.evaluate': '无法评估：模型的权重不是有限数（{0}）；它的训练发散了，或者数据中含有 NaN',
  'spec.unknownName': '{0}：config.dataset “{1}”不是已知的数据集。已知的名称：{2}；或使用带 type 的对象：{3}',
  'spec.notObject': '{0}：config.dataset 必须是数据集名称（{1}），或形如 { type: \'csv\', path: \'./data.csv\' } 的对象（得到 {2}）',
  'spec.anArray': '数组',
  'spec.typeMissing': '{0}：缺少 config.dataset.type。已知的类型：{1}',
  'spec.typeUnknown': '{0}：config.dataset.type {1} 未知。已知的类型：{2}',
  'spec.notAnOption': '{0}：config.dataset.{1} 不是类型 \'{2}\' 的选项。它的选项：{3}',
  'spec.none': '（无）',
  'spec.mustBe': '{0}：config.dataset.{1} 必须是{2}（得到 {3}）',
  'spec.missing': '{0}：缺少 config.dataset.{1}：类型 \'{2}\' 需要{3}',
  'spec.both': '{0}：config.dataset：只能给出 .{1} 或 .{2} 之一，不能两者都给',
  'spec.missingEither': '{0}：缺少 config.dataset.{1}：类型 \'{2}\' 需要{3}，或者用 .{4} 给出{5}，下载一次',
  'spec.hashNeedsUrl': '{0}：config.dataset.{1} 用于校验下载：它需要 .{2}',
  'spec.want.oneOf': '{0} 之一',
  'spec.want.path': '文件或文件夹路径（非空字符串）',
  'spec.want.string': '字符串',
  'spec.want.boolean': 'true 或 false',
  'spec.want.int': '整数',
  'spec.want.posInt': '≥ 1 的整数',
  'spec.want.number': '有限数',
  'spec.want.nonNeg': '≥ 0 的数',
  'spec.want.fraction': '0 到 1 之间的数（不含 1）',
  'spec.want.column': '列名或从 0 开始的列索引',
  'spec.want.columns': '列名或从 0 开始的索引的列表',
  'spec.want.strings': '字符串列表',
  'spec.want.size2': '由 ≥ 1 的整数组成的 [高, 宽]',
  'spec.want.centers': '≥ 2 的整数，或等长点的列表，例如 [[0, 0], [3, 3]]',
  'spec.want.url': 'http:// 或 https:// 网址',
  'spec.want.sha256': 'SHA-256 摘要（64 位十六进制数字）',
};

/** Both tables, for the completeness test. */
export const TRAINER_MESSAGES: Readonly<Record<Locale, Readonly<Record<TrainerMessageId, string>>>> = { en, 'zh-cn': zhCn };

let current: Locale | undefined;

/** The trainer's language: MODEL_LAB_LANG (the CLI's --lang), else the environment's (see protocol/locale.ts). */
export function trainerLocale(): Locale {
  if (current === undefined) {
    const given = process.env[TRAINER_LANG_ENV];
    current = given ? localeOf(given) : localeFromEnv(process.env);
  }
  return current;
}

/** For the CLI's in-process commands (summary, preview, evaluate), which follow its --lang. */
export function setTrainerLocale(locale: Locale): void {
  current = locale;
}

/** The message `id` in `locale`, `{n}` replaced by `args[n]`. */
export function formatTrainerMessage(locale: Locale, id: TrainerMessageId, ...args: (string | number)[]): string {
  return fillPlaceholders(TRAINER_MESSAGES[locale][id], args);
}

/** The message `id` in the trainer's language. */
export function msg(id: TrainerMessageId, ...args: (string | number)[]): string {
  return formatTrainerMessage(trainerLocale(), id, ...args);
}
