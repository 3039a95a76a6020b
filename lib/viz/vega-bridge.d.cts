/** The parts of vega and vega-lite the library uses (both packages are ESM-only). */
export interface VegaView {
  toSVG(scaleFactor?: number): Promise<string>
  finalize(): void
}
export interface VegaModules {
  readonly vega: {
    parse(spec: unknown, config?: unknown): unknown
    View: new (runtime: unknown, options: { renderer: 'none' | 'svg' | 'canvas'; logLevel?: number }) => VegaView
    readonly version: string
  }
  readonly vegaLite: {
    compile(spec: unknown, options?: unknown): { spec: unknown }
    readonly version: string
  }
}
export declare function loadVega(): Promise<VegaModules>
