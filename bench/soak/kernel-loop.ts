/**
 * The notebook kernel of the soak: a real tslab kernel (the project venv's jupyter_client, the
 * kernelspec JupyterLab and the notebook runner use) running the story's cells in a loop, driven
 * by bench/soak/kernel_loop.py. The kernel works against the soak's stack because it inherits
 * this process's environment, as a kernel started by the soak's JupyterLab would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ErrorCode, WorkbenchError, sleep, type WorkbenchConfig } from '../../lib/internal'
import { jupyterEnv, jupyterVenv, writeKernelSpec } from '../../stack/services/jupyter'
import { storyCells, type NotebookCell, type StoryCells } from './story-cells'

/** One cell the kernel finished. */
export interface KernelCellRecord {
  readonly t: number
  readonly phase: 'setup' | 'loop' | 'teardown'
  readonly iteration: number
  readonly section: string
  readonly ms: number
  readonly ok: boolean
  readonly error?: string
}

export interface KernelLoop {
  /** The driver's pid (python) and, once it runs, the kernel's (node). */
  readonly driverPid: number
  kernelPid(): number | undefined
  readonly records: readonly KernelCellRecord[]
  readonly cells: StoryCells
  drain(): KernelCellRecord[]
  /** Lets the cell in progress finish (up to `graceMs`), runs the closing cell, stops the kernel. */
  stop(graceMs: number): Promise<void>
}

export interface KernelLoopOptions {
  readonly notebook: string
  /** Seconds since the run started. */
  readonly clock: () => number
  /** Where the cells file and the stop file go. */
  readonly workDir: string
  /** Environment for the kernel (notebook mode). */
  readonly env: Readonly<Record<string, string>>
  /** Least seconds between the starts of two passes over the story (0: back to back). */
  readonly passSeconds: number
  readonly log: (line: string) => void
}

/** True while `pid` is still the tslab kernel this loop started (not a recycled pid). */
const kernelAlive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tslab')
  } catch {
    return false
  }
}

/** Starts the kernel and its loop; resolves once the kernel is up (or throws why it is not). */
export async function startKernelLoop(config: WorkbenchConfig, o: KernelLoopOptions): Promise<KernelLoop> {
  const python = path.join(jupyterVenv(config), 'bin', 'python')
  if (!fs.existsSync(python)) throw new WorkbenchError(ErrorCode.RequirementMissing, `${python} is missing: the soak's stack provisions it on \`up\` (jupyter)`)
  writeKernelSpec(config)
  const cells = storyCells((JSON.parse(fs.readFileSync(o.notebook, 'utf8')) as { cells: NotebookCell[] }).cells)
  if (cells.loop.length === 0) throw new WorkbenchError(ErrorCode.ConfigInvalid, `${o.notebook} has no code cells outside its overload section`)
  fs.mkdirSync(o.workDir, { recursive: true })
  const cellsFile = path.join(o.workDir, 'story-cells.json')
  const stopFile = path.join(o.workDir, 'kernel.stop')
  fs.rmSync(stopFile, { force: true })
  fs.writeFileSync(cellsFile, JSON.stringify(cells))
  const child: ChildProcess = spawn(python, [path.join(config.paths.root, 'bench', 'soak', 'kernel_loop.py'), cellsFile, `--cwd=${config.paths.root}`, `--stop-file=${stopFile}`, `--pass-seconds=${o.passSeconds}`], {
    cwd: config.paths.root,
    env: { ...jupyterEnv(config), ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const records: KernelCellRecord[] = []
  let drained = 0
  let kernelPid: number | undefined
  let failure: string | undefined
  let buffered = ''
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString().trim()
    if (text) o.log(`kernel driver: ${text.split('\n').slice(-3).join(' | ').slice(0, 400)}`)
  })
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString()
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      let e: Record<string, unknown>
      try {
        e = JSON.parse(line) as Record<string, unknown>
      } catch {
        continue
      }
      if (e.event === 'kernel') kernelPid = typeof e.pid === 'number' ? e.pid : undefined
      else if (e.event === 'error') failure = String(e.error)
      else if (e.event === 'cell') {
        const r: KernelCellRecord = { t: o.clock(), phase: e.phase as KernelCellRecord['phase'], iteration: Number(e.iteration), section: String(e.section), ms: Number(e.ms), ok: e.ok === true, error: typeof e.error === 'string' ? e.error : undefined }
        records.push(r)
        if (!r.ok) o.log(`kernel: a cell of "${r.section}" failed (iteration ${r.iteration}): ${(r.error ?? '').split('\n')[0]}`)
      }
    }
  })
  const started = Date.now()
  let code: number | null | undefined
  void exited.then((c) => (code = c))
  while (kernelPid === undefined) {
    if (code !== undefined || failure) throw new WorkbenchError(ErrorCode.ServiceStartFailed, `the notebook kernel did not start: ${failure ?? `driver exited ${code}`}`)
    if (Date.now() - started > 180_000) {
      child.kill('SIGKILL')
      throw new WorkbenchError(ErrorCode.Timeout, 'the notebook kernel did not start within 180 s')
    }
    await sleep(250)
  }

  return {
    driverPid: child.pid!,
    kernelPid: () => kernelPid,
    records,
    cells,
    drain() {
      const out = records.slice(drained)
      drained = records.length
      return out
    },
    async stop(graceMs) {
      if (code !== undefined) return
      fs.writeFileSync(stopFile, '')
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])
      if (!done) {
        o.log(`kernel: still running a cell after ${Math.round(graceMs / 1000)} s; stopping it`)
        child.kill('SIGTERM')
        const gone = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])
        if (!gone) child.kill('SIGKILL')
      }
      // A driver killed hard leaves its kernel behind: end that too.
      if (kernelAlive(kernelPid)) process.kill(kernelPid!, 'SIGKILL')
      fs.rmSync(stopFile, { force: true })
    },
  }
}
