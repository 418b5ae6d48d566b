#!/usr/bin/env node
// The `facefleet` command: registers tsx so the TypeScript sources run as they are, then hands
// over to the CLI. Worker child processes are started the same way (see app/cli).
import { register } from 'tsx/esm/api';

register();
await import('../app/cli/main.ts');
