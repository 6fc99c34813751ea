#!/usr/bin/env node
// The `fulfillment` command: the TypeScript CLI run through tsx's require hook, so the installed
// command and `npm run cli` are one and the same program.
require('tsx/cjs');
require('../src/infrastructure/cli/main.ts').runCli();
