#!/usr/bin/env node
// The `latchkey-audit` command (core README, Audit log). This file exists before the package is
// built, so installing the workspace links the command; the command itself is dist/audit-cli.js.
import { auditCli } from '../dist/audit-cli.js';

process.exitCode = await auditCli(process.argv.slice(2));
