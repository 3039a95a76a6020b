'use strict'
// vega and vega-lite 6 are ESM-only. The library is CommonJS (tsc here, and tslab's own
// transpiler in notebooks), where `import()` is rewritten to `require()`; in a .cjs file Node
// keeps the native dynamic import, so this file is the one bridge to both packages.
let loaded

/** Loads vega and vega-lite once; later calls share the same modules. */
function loadVega() {
  loaded ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({ vega, vegaLite }))
  return loaded
}

module.exports = { loadVega }
