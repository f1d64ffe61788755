// Node.js ESM entry: synchronous instantiation from the .wasm file next to this one.

import { readFileSync } from 'node:fs';
import { initSync } from '../gen/oidckit.js';

initSync({ module: readFileSync(new URL('./oidckit_bg.wasm', import.meta.url)) });

export * from './index.js';
