// Not a module on purpose: src/trainer/tsconfig.json and src/protocol/tsconfig.json map `vscode` here,
// so an import of `vscode` in those rooms fails type-checking with "… is not a module".
declare const notInThisRoom: never;
