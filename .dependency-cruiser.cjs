// The doors between Model Lab's rooms (../shared/STYLE.md), checked by `npm run check:boundaries`
// (part of `npm test`). Each rule names a door; an import across it fails the check.
//   webview-ui/   the panel (browser)            imports itself, src/protocol/ and its npm packages
//   src/protocol/ the two boundary modules       imports only src/protocol/ and valibot
//   src/trainer/  the child process (Node, tfjs) imports itself, src/protocol/ and npm packages
//   host rooms    src/{commands,editor,views,training,scaffold}/, src/extension.ts, src/config.ts:
//                 no trainer code (they talk to it through src/training/trainerProcess.ts)
//   src/tsPlugin/ runs inside tsserver          imports only Node built-ins and TypeScript's types
//   src/cli/      the trainer from a terminal    imports src/protocol/, src/trainer/ and the pure
//                 process owner and run store of src/training/; no vscode, no other host room
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'trainer-imports-no-host-room',
      comment: 'The trainer runs in its own process: it reaches the host only through src/protocol/.',
      severity: 'error',
      from: { path: '^src/trainer/' },
      to: { path: '^(src/(commands|editor|views|training|scaffold|cli)/|src/(extension|config)\\.ts$|webview-ui/)' },
    },
    {
      name: 'no-vscode-outside-the-host',
      comment: 'Only host rooms may import vscode: the trainer, the CLI, the protocol and the webview run without it.',
      severity: 'error',
      from: { path: '^(src/(trainer|protocol|cli|scaffold)/|webview-ui/)' },
      to: { path: '^vscode$' },
    },
    {
      name: 'protocol-imports-only-protocol',
      comment: 'src/protocol/ is shared by all three rooms: only its own modules and valibot.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { pathNot: '^(src/protocol/|node_modules/valibot/)' },
    },
    {
      name: 'webview-imports-only-itself-and-protocol',
      comment: 'The webview is a browser program: itself, src/protocol/ and its npm packages.',
      severity: 'error',
      from: { path: '^webview-ui/' },
      to: { pathNot: '^(webview-ui/|src/protocol/|node_modules/)' },
    },
    {
      name: 'host-imports-no-trainer-code',
      comment: 'The host asks the trainer (requests over IPC) instead of running its code in the editor.',
      severity: 'error',
      from: { path: '^(src/(commands|editor|views|training|scaffold)/|src/(extension|config)\\.ts$)' },
      to: { path: '^src/trainer/' },
    },
    {
      name: 'cli-imports-protocol-trainer-and-the-process-owner',
      comment: 'The CLI is the trainer from a terminal: of the host it uses only the pure process owner and run store.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^(src/(commands|editor|views|scaffold)/|src/(extension|config)\\.ts$|webview-ui/|src/training/(?!(trainerProcess|runStore)\\.ts$))' },
    },
    {
      name: 'ts-plugin-is-a-room-of-its-own',
      comment: 'The TypeScript server plugin runs inside tsserver: nothing of Model Lab, no vscode.',
      severity: 'error',
      from: { path: '^src/tsPlugin/' },
      to: { pathNot: '^src/tsPlugin/|node_modules/typescript/|^node:|^path$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|test/fixtures)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `vscode` has no file to resolve to; it still counts as a dependency the rules can see.
    moduleSystems: ['cjs', 'es6'],
  },
};
