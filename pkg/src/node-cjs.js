// Node.js CommonJS entry (bundled to dist/node.cjs): synchronous instantiation from the .wasm
// file next to this one, located with __dirname.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync } from '../gen/oidckit.js';

initSync({ module: readFileSync(join(__dirname, 'oidckit_bg.wasm')) });

export * from './index.js';
