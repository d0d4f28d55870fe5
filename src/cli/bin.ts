#!/usr/bin/env node
// The `driftwarden` executable.
import { runCli } from './program.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await runCli(process.argv);
