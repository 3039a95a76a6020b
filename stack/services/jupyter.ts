import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { requestJson, requireSecret, type WorkbenchConfig } from '../../lib/internal'
import { engineNodeFlags } from '../lib/node-flags'
import { once, runStep } from '../lib/provision'
import type { ServiceContext, ServiceDefinition } from '../lib/service'
import { checkPysparkPin, provisionSparkJars } from './spark'

const requirementsFile = (root: string): string => path.join(root, 'stack', 'jupyter', 'requirements.txt')

/** The project's Python virtual environment with JupyterLab and the notebook runner's packages. */
export function jupyterVenv(config: WorkbenchConfig): string {
  return path.join(config.paths.cache, 'jupyter', 'venv')
}

/**
 * Environment for every Jupyter process of this stack: config, data and runtime folders in the
 * state folder (nothing in ~), and the generated kernelspec found first.
 */
export function jupyterEnv(config: WorkbenchConfig): NodeJS.ProcessEnv {
  const dir = path.join(config.paths.state, 'jupyter')
  return {
    ...process.env,
    JUPYTER_CONFIG_DIR: path.join(dir, 'config'),
    JUPYTER_DATA_DIR: path.join(dir, 'data'),
    JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'),
    JUPYTER_PLATFORM_DIRS: '1',
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  }
}

/**
 * Writes the `tslab` kernelspec. tslab compiles cells with rootDir = the kernel's working
 * directory, so the kernel is started in the project root (not the notebook's folder) and a
 * cell imports the library as `./lib`. Node is the one running this stack, by absolute path;
 * `tslab-no-watch.cjs` keeps file watchers from failing cells (the file says why). The kernel runs
 * at niceness K2_NOTEBOOK_NICE, as the API does (D55).
 */
export function writeKernelSpec(config: WorkbenchConfig): string {
  const dir = path.join(config.paths.state, 'jupyter', 'data', 'kernels', 'tslab')
  fs.mkdirSync(dir, { recursive: true })
  const tslab = path.join(config.paths.root, 'node_modules', 'tslab', 'bin', 'tslab')
  const noWatch = path.join(config.paths.root, 'stack', 'jupyter', 'tslab-no-watch.cjs')
  const spec = {
    // At K2_NOTEBOOK_NICE (D55): the kernel's queries yield the CPU to the ingest and sink.
    // With the engine's V8 flags (stack/lib/node-flags.ts): the kernel runs engines with a tail too.
    argv: ['/bin/sh', '-c', `cd "$1" && exec ${config.notebook.nice > 0 ? 'nice -n "$5" ' : ''}"$2" ${engineNodeFlags.join(' ')} --require "$3" "$4" kernel --config-path "$0"`, '{connection_file}', config.paths.root, process.execPath, noWatch, tslab, String(config.notebook.nice)],
    display_name: 'TypeScript (K2 workbench)',
    language: 'typescript',
  }
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 1))
  return dir
}

/** JupyterLab in a project-local venv, with the tslab TypeScript kernel, serving notebooks/. */
export const jupyter: ServiceDefinition = {
  name: 'jupyter',
  group: 'infra',
  title: 'JupyterLab + tslab kernel',
  version: '4.6.6',
  dependsOn: [],
  requirements: [{ command: 'python3', purpose: 'JupyterLab runs in a Python virtual environment', install: 'apt-get install python3 python3-venv', versionArgs: ['--version'], minMajor: 3 }],
  startTimeoutMs: 90_000,
  ports: (c) => [c.jupyter.port],
  address: (c) => `${c.jupyter.url}/lab`,

  provisionWhileRunning: true,

  async provision(ctx: ServiceContext) {
    const venv = jupyterVenv(ctx.config)
    const reqs = fs.readFileSync(requirementsFile(ctx.config.paths.root), 'utf8')
    checkPysparkPin(reqs)
    // The marker is a hash of the requirements, so changing any pin reinstalls.
    const stamp = createHash('sha256').update(reqs).digest('base64url').slice(0, 16)
    await once(path.join(venv, `.k2-complete-${stamp}`), async () => {
      if (!fs.existsSync(path.join(venv, 'bin', 'python'))) {
        await runStep(ctx.reporter, 'jupyter', 'creating Python virtual environment', 'python3', ['-m', 'venv', venv], { logFile: ctx.provisionLog })
      }
      await runStep(ctx.reporter, 'jupyter', 'installing JupyterLab, nbclient, pyiceberg, DuckDB and pyspark (~455 MB) from PyPI (first run only, ~2 min)', path.join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '-r', requirementsFile(ctx.config.paths.root)], {
        logFile: ctx.provisionLog,
      })
    })
    // Spark's Iceberg jars (Maven Central, checksums verified), beside the venv's pyspark.
    await provisionSparkJars(ctx.config, ctx.reporter, ctx.provisionLog)
    writeKernelSpec(ctx.config)
  },

  async prepare(ctx) {
    const { config } = ctx
    writeKernelSpec(config)
    const token = requireSecret(config.jupyter.token, 'K2_JUPYTER_TOKEN')
    const args = [
      'lab',
      '--no-browser',
      `--ip=${config.host}`,
      `--port=${config.jupyter.port}`,
      '--ServerApp.port_retries=0',
      `--ServerApp.root_dir=${path.join(config.paths.root, 'notebooks')}`,
      '--MultiKernelManager.default_kernel_name=tslab',
    ]
    if (process.getuid?.() === 0) args.push('--allow-root')
    return { command: path.join(jupyterVenv(config), 'bin', 'jupyter'), args, env: { ...jupyterEnv(config), JUPYTER_TOKEN: token } }
  },

  marker: (ctx) => `--port=${ctx.config.jupyter.port}`,

  async health(ctx) {
    const token = ctx.config.jupyter.token ?? ''
    await requestJson(`${ctx.config.jupyter.url}/api/status`, { headers: { authorization: `token ${token}` }, timeoutMs: 2000 })
    const kernels = await requestJson<{ kernelspecs: Record<string, unknown> }>(`${ctx.config.jupyter.url}/api/kernelspecs`, { headers: { authorization: `token ${token}` }, timeoutMs: 2000 })
    if (!kernels.kernelspecs.tslab) throw new Error('JupyterLab is up but has no tslab kernel')
    const api = await requestJson<{ version?: string }>(`${ctx.config.jupyter.url}/api`, { timeoutMs: 2000 })
    return api.version ? `jupyter_server ${api.version}` : undefined
  },
}
