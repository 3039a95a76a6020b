import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Browser } from 'playwright-core'
import { ErrorCode, WorkbenchError, type WorkbenchConfig } from '../../lib/internal'
import { runStep, which, type Reporter } from './provision'

/** Where Debian's `chromium` package puts its launcher. */
export const debianChromium = '/usr/bin/chromium'

/**
 * Flags for a headless Chromium on this kind of machine: root in a container (no sandbox), no
 * GPU, and no network but package registries, so everything that phones home is off (otherwise
 * Chromium keeps retrying refused connections in the background).
 */
export const chromiumArgs: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * The Chromium to drive: `executable` if given (it must exist), else Debian's package, installed
 * with apt-get when it is missing and we are root (logged to the cache's `provision-chromium.log`).
 * Throws REQUIREMENT_MISSING saying what to install when it cannot install it here.
 */
export async function ensureChromium(reporter: Reporter, config: Pick<WorkbenchConfig, 'paths'>, executable?: string): Promise<string> {
  const found = findExecutable(executable ?? debianChromium)
  if (found) return found
  if (executable !== undefined && executable !== debianChromium) {
    throw new WorkbenchError(ErrorCode.RequirementMissing, `Chromium was asked for at ${executable}, which is not an executable. Fix: point it at an installed Chromium, or leave it unset to use Debian's (apt-get install chromium)`)
  }
  const apt = which('apt-get')
  if (process.getuid?.() !== 0 || !apt) {
    const why = apt ? 'this user is not root' : 'apt-get is not available'
    throw new WorkbenchError(ErrorCode.RequirementMissing, `the browser tests and PDF reports need Chromium at ${debianChromium}, which is not installed, and ${why}. Fix: apt-get install chromium (as root)`)
  }
  const logFile = path.join(config.paths.cache, 'logs', 'provision-chromium.log')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  if (!hasAptCandidate('chromium')) {
    await runStep(reporter, 'chromium', 'apt-get update (no candidate for chromium yet)', apt, ['update', '-q'], { logFile, env })
  }
  await runStep(reporter, 'chromium', "installing Debian's chromium package (first run only)", apt, ['install', '-y', '-q', 'chromium'], { logFile, env })
  if (!findExecutable(debianChromium)) {
    throw new WorkbenchError(ErrorCode.ProvisionFailed, `apt-get installed chromium but ${debianChromium} is still missing; see ${logFile}`)
  }
  return debianChromium
}

/** `command` as an executable file: an absolute path as given, a bare name looked up on PATH. */
function findExecutable(command: string): string | undefined {
  const file = path.isAbsolute(command) ? command : which(command)
  if (!file) return undefined
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile() ? file : undefined
  } catch {
    return undefined
  }
}

/** Whether apt knows a version of `pkg` to install (after an `apt-get update`, it usually does). */
function hasAptCandidate(pkg: string): boolean {
  const out = spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' })
  const m = /Candidate:\s*(\S+)/.exec(out.stdout ?? '')
  return m !== null && m[1] !== '(none)'
}

/** A headless Chromium under Playwright, with the flags this machine needs; close it when done. */
export function launchChromium(executable: string): Promise<Browser> {
  return chromium.launch({ executablePath: executable, headless: true, args: [...chromiumArgs] })
}

/** What `htmlToPdf` wrote. */
export interface PdfResult {
  readonly pages: number
  readonly bytes: number
}

/**
 * Prints an HTML file (an nbconvert report) to an A4 PDF with backgrounds, once the page has
 * loaded and the network has been idle, so scripts that draw charts have run.
 */
export async function htmlToPdf(executable: string, htmlFile: string, pdfFile: string): Promise<PdfResult> {
  const browser = await launchChromium(executable)
  try {
    const page = await browser.newPage()
    await page.goto(pathToFileURL(path.resolve(htmlFile)).href, { waitUntil: 'networkidle', timeout: 120_000 })
    // nbconvert lays a notebook out for a wide screen: on paper, code wraps instead of running off
    // the edge, and the page is scaled so a 640-px chart beside its prompt fits the width.
    await page.addStyleTag({ content: '@media print { pre, .jp-InputArea-editor pre, .highlight pre { white-space: pre-wrap !important; overflow-wrap: anywhere; } }' })
    const pdf = await page.pdf({ format: 'A4', printBackground: true, scale: 0.72, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } })
    fs.mkdirSync(path.dirname(pdfFile), { recursive: true })
    fs.writeFileSync(pdfFile, pdf)
    return { pages: pdfPageCount(pdf), bytes: pdf.length }
  } finally {
    await browser.close()
  }
}

/** Pages of a PDF as Chromium writes it: one `/Type /Page` object each, uncompressed. */
function pdfPageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length
}
