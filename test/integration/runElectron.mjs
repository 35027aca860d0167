// `npm run test:integration`: runs the integration suite (dist/test/suite.js, built by esbuild.mjs)
// inside a VS Code that @vscode/test-electron downloads, with Model Lab loaded from this working tree
// and test/fixtures/workspace as the folder. Where VS Code cannot be downloaded (an offline machine),
// `npm run test:e2e` runs the same suite inside code-server instead.
import { runTests } from '@vscode/test-electron';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suite = join(root, 'dist', 'test', 'suite.js');
const workspace = join(root, 'test', 'fixtures', 'workspace');

if (!existsSync(suite)) {
  console.error(`${suite} is missing: run \`npm run build\` first.`);
  process.exit(1);
}

const downloadFailure = (err) =>
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|download|update\.code\.visualstudio\.com/i.test(
    `${err?.code ?? ''} ${err?.message ?? err}`,
  );

try {
  const code = await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: suite,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
  process.exit(code);
} catch (err) {
  console.error(err?.message ?? err);
  if (downloadFailure(err)) {
    console.error('VS Code could not be downloaded here; `npm run test:e2e` runs the same suite in code-server.');
  }
  process.exit(1);
}
