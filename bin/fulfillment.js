#!/usr/bin/env node
// The `fulfillment` command. Where `npm run build` has written dist/, it runs the compiled
// JavaScript with plain node: that is how production runs every role, without a TypeScript loader
// (it starts faster and takes less memory: docs/operations.md). In a checkout that has not been
// built it runs the TypeScript sources through tsx, as `npm run cli` does, so that the command works
// right after `npm install`. A build is not rebuilt for you: after changing the sources, build
// again, or use `npm run cli`, which always runs the sources.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'src', 'infrastructure', 'cli', 'main.js');
if (existsSync(compiled)) {
  require(compiled).runCli();
} else {
  require('tsx/cjs');
  require('../src/infrastructure/cli/main.ts').runCli();
}
