import { describe, expect, it } from 'vitest'
import { pdfTargets } from '../../../stack/lib/notebook-reports'
import { reportPaths, runnerArgs } from '../../../stack/lib/notebook-runner'

const config = { paths: { root: '/k2', cache: '/k2/.cache', state: '/k2/.state', scrapeTargets: '/k2/t', demoReports: '/k2/d' } }

describe('the reports of an executed notebook, with the code and without it', () => {
  it('asks the runner for the form without code (nbconvert --no-input) unless told otherwise', () => {
    const args = runnerArgs(config, '/k2/notebooks/01-ten-minute-story.ipynb', { outDir: '/k2/notebooks/executed' }, '/tmp/r.json')
    expect(args[0]).toBe('/k2/stack/jupyter/run_notebook.py')
    expect(args).toContain('--no-code-html')
    expect(args).not.toContain('--no-html')
    expect(runnerArgs(config, 'x.ipynb', { outDir: 'o', noCodeHtml: false }, 'r')).not.toContain('--no-code-html')
    const none = runnerArgs(config, 'x.ipynb', { outDir: 'o', html: false }, 'r')
    expect(none).toContain('--no-html')
    expect(none).not.toContain('--no-code-html')
  })

  it('names the story-only form beside the full one, and the PDF of each', () => {
    const reports = reportPaths('/k2/notebooks/executed/01-ten-minute-story.ipynb')
    expect(reports).toEqual({ html: '/k2/notebooks/executed/01-ten-minute-story.html', noCodeHtml: '/k2/notebooks/executed/01-ten-minute-story-no-code.html' })
    expect(pdfTargets({ html: '/k2/docs/reports/01-ten-minute-story.html', noCodeHtml: '/k2/docs/reports/01-ten-minute-story-no-code.html' })).toEqual([
      { html: '/k2/docs/reports/01-ten-minute-story.html', pdf: '/k2/docs/reports/01-ten-minute-story.pdf' },
      { html: '/k2/docs/reports/01-ten-minute-story-no-code.html', pdf: '/k2/docs/reports/01-ten-minute-story-no-code.pdf' },
    ])
    expect(pdfTargets({ html: '/r/a.html' })).toEqual([{ html: '/r/a.html', pdf: '/r/a.pdf' }])
    expect(pdfTargets({})).toEqual([])
  })
})
