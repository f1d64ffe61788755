// Browser / generic ESM entry: instantiates the module with top-level await, so importing the
// package is enough (no init() call).

import init from '../gen/oidckit.js';

await init({ module_or_path: new URL('./oidckit_bg.wasm', import.meta.url) });

export * from './index.js';
