/**
 * A display bundle: one output, several representations by MIME type. The front end picks the
 * richest it can render (JupyterLab: vega-lite or plotly; nbconvert, GitHub and untrusted
 * notebooks: the SVG), so every chart shows everywhere.
 */
export interface DisplayBundle {
  readonly 'text/plain': string
  readonly 'text/html'?: string
  readonly 'image/svg+xml'?: string
  readonly 'application/vnd.vegalite.v5+json'?: Record<string, unknown>
  readonly 'application/vnd.plotly.v1+json'?: { readonly data: ReadonlyArray<Record<string, unknown>>; readonly layout: Record<string, unknown> }
}

/** The MIME type JupyterLab 4's built-in vega renderer reads for vega-lite v5 specs. */
export const vegaLiteMime = 'application/vnd.vegalite.v5+json'
/** The MIME type of the JupyterLab plotly renderer (PyPI's `plotly` package). */
export const plotlyMime = 'application/vnd.plotly.v1+json'
