import Foundation

/// A line chart as a standalone SVG document: one polyline with markers per series, linear axes with five ticks each
/// and a legend. The report's curves need nothing more, and SVG keeps them sharp and diffable.
struct SVGPlot {
    struct Series {
        let name: String
        let points: [(x: Double, y: Double)]
    }

    let title: String
    let xLabel: String
    let yLabel: String
    let series: [Series]
    let width = 520.0
    let height = 360.0

    /// Ten distinguishable colours (Tableau 10), one per method in report order.
    static let colours = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                          "#9c755f", "#bab0ac"]

    var svg: String {
        let (left, right, top, bottom) = (64.0, 150.0, 34.0, 48.0)
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let (x0, x1) = Self.range(finite.map(\.x))
        let (y0, y1) = Self.range(finite.map(\.y))
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotHeight }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="18" font-size="13" font-weight="bold">\(Self.escape(title))</text>
            <rect x="\(left)" y="\(top)" width="\(plotWidth)" height="\(plotHeight)" fill="none" stroke="#888"/>

            """
        for k in 0...4 {
            let x = x0 + (x1 - x0) * Double(k) / 4, y = y0 + (y1 - y0) * Double(k) / 4
            out += "<line x1=\"\(f(px(x)))\" y1=\"\(f(top))\" x2=\"\(f(px(x)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(f(px(x)))\" y=\"\(f(top + plotHeight + 14))\" text-anchor=\"middle\">\(Self.tick(x))</text>\n"
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(y)))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(f(left - 4))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(Self.tick(y))</text>\n"
        }
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        out += "<text transform=\"translate(14 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        for (i, s) in series.enumerated() {
            let colour = Self.colours[i % Self.colours.count]
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>\n"
            for p in points { out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.5\" fill=\"\(colour)\"/>" }
            let ly = top + 8 + Double(i) * 15
            out += "\n<line x1=\"\(f(width - right + 10))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 28))\" y2=\"\(f(ly))\" "
                + "stroke=\"\(colour)\" stroke-width=\"2\"/><text x=\"\(f(width - right + 32))\" y=\"\(f(ly + 4))\">"
                + "\(Self.escape(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// The span of `values` padded by 5% (a unit span around a single value; 0...1 with none).
    static func range(_ values: [Double]) -> (Double, Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        guard high > low else { return (low - 0.5, high + 0.5) }
        let pad = (high - low) * 0.05
        return (low - pad, high + pad)
    }

    static func tick(_ value: Double) -> String {
        abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
