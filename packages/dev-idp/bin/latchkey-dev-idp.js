#!/usr/bin/env node
// The `latchkey-dev-idp` command. This file exists before the package is built, so installing the
// workspace links the command without a warning; the command itself is the build's dist/cli.js.
import '../dist/cli.js';
