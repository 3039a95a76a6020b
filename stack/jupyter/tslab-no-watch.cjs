'use strict'
// Preloaded into the tslab kernel (see the kernelspec in stack/services/jupyter.ts). tslab compiles
// cells with a TypeScript watch program whose rebuilds it runs itself, once per cell; a watcher that
// fires between cells (a file changed or added beside a compiled source: an edit, a worker writing
// its scrape target) schedules a second rebuild and tslab fails the next cell with "Unexpected
// pending rebuildTimer". Real files and folders are not watched, then: the kernel sees the library
// as it was when first imported, and a restart picks up edits (tslab's cell sources are in memory
// and need no watching).
const path = require('node:path')
const tslabDir = path.dirname(require.resolve('tslab/package.json'))
const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] }))
const unwatched = () => ({ close() {} })
ts.sys.watchFile = unwatched
ts.sys.watchDirectory = unwatched
