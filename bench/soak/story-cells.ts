/**
 * Which cells of the story notebook the soak's kernel runs, and how often: the code before the
 * first section once (imports, the workbench handle), every section's code in a loop except the
 * overload/resilience section (its own demo would overload the stack the soak measures), and the
 * closing cell (`wb.close()`) once at the end. Chosen by the section headings, so the loop follows
 * the story as it changes. Pure.
 */

/** A notebook cell as nbformat 4 stores it. */
export interface NotebookCell {
  readonly cell_type: string
  readonly source: string | readonly string[]
}

export interface StoryCells {
  readonly setup: readonly string[]
  readonly loop: ReadonlyArray<{ readonly section: string; readonly source: string }>
  readonly teardown: readonly string[]
  /** Sections left out of the loop, by heading. */
  readonly skipped: readonly string[]
}

const text = (c: NotebookCell): string => (typeof c.source === 'string' ? c.source : c.source.join(''))

/** Splits the story's code cells into setup, loop and teardown; `exclude` matches headings to leave out. */
export function storyCells(cells: readonly NotebookCell[], exclude: RegExp = /resilience|overload/i): StoryCells {
  const setup: string[] = []
  const loop: Array<{ section: string; source: string }> = []
  const teardown: string[] = []
  const skipped: string[] = []
  let section: string | undefined
  let excluded = false
  for (const cell of cells) {
    const source = text(cell)
    if (cell.cell_type === 'markdown') {
      const heading = /^##\s+(.+)$/m.exec(source)?.[1]?.trim()
      if (heading) {
        section = heading
        excluded = exclude.test(heading)
        if (excluded) skipped.push(heading)
      }
      continue
    }
    if (cell.cell_type !== 'code' || source.trim() === '') continue
    if (section === undefined) setup.push(source)
    else if (/\bwb\.close\(\)/.test(source)) teardown.push(source)
    else if (!excluded) loop.push({ section, source })
  }
  return { setup, loop, teardown, skipped }
}
