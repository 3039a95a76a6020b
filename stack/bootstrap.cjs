#!/usr/bin/env node
// Entry for every npm script: on a fresh clone node_modules is missing, so install it first
// (npm ci, from the lockfile), then run the TypeScript command with tsx. Plain CommonJS with
// no dependencies, because nothing is installed yet when it runs.
'use strict'
const { spawn, spawnSync } = require('node:child_process')
const os = require('node:os')
const fs = require('node:fs')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`K2 needs Node.js 20.19 or newer; this is ${process.version}. Install a current Node.js LTS and retry.\n`)
  process.exit(1)
}

const lock = path.join(root, 'package-lock.json')
const stamp = path.join(root, 'node_modules', '.package-lock.json')
const stale = !fs.existsSync(stamp) || fs.statSync(stamp).mtimeMs < fs.statSync(lock).mtimeMs
if (stale) {
  process.stderr.write('installing npm dependencies (npm ci) …\n')
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    process.stderr.write('npm ci failed: see the output above (is the npm registry reachable?)\n')
    process.exit(r.status || 1)
  }
}

const [script, ...args] = process.argv.slice(2)
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')
// The AWS SDK warns on every process that its releases after January 2027 need Node 22; the
// locked version works on 20, and the notice would bury the progress lines.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...process.env }
const child = spawn(process.execPath, [tsx, path.join(root, script), ...args], { cwd: process.cwd(), stdio: 'inherit', env })
// A stop sent to this wrapper (the pid npm or a supervisor knows) reaches the command, which stops
// cleanly; killing only the wrapper would leave the command running. From a terminal, Ctrl-C also
// reaches the command directly: workers take a repeat within 2 s as the same stop.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  })
}
child.once('error', (err) => {
  process.stderr.write(`could not start ${script}: ${err.message}\n`)
  process.exit(1)
})
child.once('exit', (code, signal) => process.exit(code !== null ? code : 128 + ((signal && os.constants.signals[signal]) || 0)))
