import TangentFlow
import TangentFlowWasserstein
import TangentFlowReporting

/// The Wasserstein experiments' density heat maps: the Reporting layer's `SVGHeatmap` (per-panel colour bars,
/// axis ticks, written atomically with a 2× PNG beside the SVG).
typealias HeatmapPanels = SVGHeatmap
