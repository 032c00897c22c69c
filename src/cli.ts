#!/usr/bin/env node
import { restrictUmask } from './adapters/data-dir-modes.js';
import { runCli } from './cli/program.js';
restrictUmask();
process.exitCode = await runCli(process.argv);
