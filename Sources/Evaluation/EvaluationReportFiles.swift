import Foundation
import Inversion
import Testbed

/// The report's files, all views of one `EvaluationReport`: report.md (the tables), reconstruction.csv and
/// editing.csv (every number), report.json (the whole record), one SVG per edit curve and index.html (tables,
/// plots and the grids the evaluator wrote).
extension EvaluationReport {
    /// Writes every file into `folder` (which must exist), each through a temporary file; the page gets `title`, an
    /// HTML `intro` under it and an HTML `appendix` at its end.
    public func write(to folder: String, title: String = "StyleGANKit evaluation", intro: String = "",
                      appendix: String = "") throws
    {
        func put(_ text: String, _ name: String) throws {
            let path = (folder as NSString).appendingPathComponent(name)
            try text.write(toFile: path + ".tmp", atomically: false, encoding: .utf8)
            guard rename(path + ".tmp", path) == 0 else { throw EvaluationError("\(path): cannot write") }
        }
        try put(markdown, "report.md")
        try put(reconstructionCSV, "reconstruction.csv")
        try put(editingCSV, "editing.csv")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try put(String(decoding: try encoder.encode(self), as: UTF8.self), "report.json")
        for (name, plot) in plots { try put(plot.svg, name) }
        try put(html(title: title, intro: intro, appendix: appendix), "index.html")
    }

    // MARK: tables

    static let reconstructionColumns = ["method", "L2", "MSE", "LPIPS", "SSIM", "MS-SSIM", "PSNR", "ID", "FD",
                                        "s/image", "parameters"]

    func cells(_ row: ReconstructionRow) -> [String] {
        [row.label, fmt(row.l2), fmt(row.mse), fmt(row.lpips), row.ssim.map(fmt) ?? "—",
         row.msssim.map(fmt) ?? "—", String(format: "%.2f", row.psnr), fmt(row.identity), String(format: "%.2f", row.frechet),
         String(format: "%.3g", row.secondsPerImage), row.parameters.map(Self.millions) ?? "—"]
    }

    /// The editing summary at the largest strength either way: per method and attribute, the change reached, the
    /// identity kept, the other attributes' change and the distance to the ground truth.
    var editSummary: [EditSummary] {
        let (low, high) = (config.strengths.min()!, config.strengths.max()!)
        return config.methods.flatMap { entry in
            config.attributes.map { attribute in
                let points = editing.filter { $0.label == entry.description && $0.attribute == attribute }
                return EditSummary(label: entry.description, attribute: attribute,
                                   negative: low < 0 ? points.first { $0.strength == low } : nil,
                                   positive: high > 0 ? points.first { $0.strength == high } : nil)
            }
        }
    }

    public var markdown: String {
        var out = "# Evaluation\n\n"
        out += "- Images: \(images), \(imageSize)x\(imageSize)\n- Generator: \(generator)\n- Date: \(date), \(device)\n"
        out += "- Methods: \(config.methods.map(\.description).joined(separator: ", "))\n\n"
        out += "## Reconstruction\n\n"
        out += "L2 on [-1, 1] (pSp), MSE on [0, 1], LPIPS and FD (Fréchet distance, \(config.count) images) in the testbed "
            + "networks, ID the testbed identity network's cosine similarity; time is wall-clock per image.\n\n"
        out += Self.table(Self.reconstructionColumns, reconstruction.map(cells))
        out += "\n## Editing\n\n"
        out += "InterFaceGAN edits at strengths \(config.strengths.map { String(format: "%g", $0) }.joined(separator: ", ")). "
            + "Δ: the classifier's score of the edit minus that of the reconstruction (probability, or the attribute's "
            + "units); reached: share of edits on the intended side; ID: identity similarity to the input; others: mean "
            + "|Δ| of the other binary attributes; GT: LPIPS to the renderer's counterfactual.\n\n"
        for (side, pick) in [("negative", \EditSummary.negative), ("positive", \EditSummary.positive)] {
            let rows = editSummary.compactMap { entry -> [String]? in
                guard let p = entry[keyPath: pick] else { return nil }
                return [entry.label, entry.attribute.rawValue, String(format: "%g", p.strength),
                        String(format: "%+.3f", p.attributeChange), p.reached.map(fmt) ?? "—", fmt(p.identity),
                        fmt(p.otherChange), p.groundTruthLPIPS.map(fmt) ?? "—"]
            }
            guard !rows.isEmpty else { continue }
            out += "At the largest \(side) strength:\n\n"
            out += Self.table(["method", "attribute", "strength", "Δ", "reached", "ID", "others", "GT LPIPS"], rows) + "\n"
        }
        out += "Boundaries:\n\n" + Self.table(["attribute", "source", "validation accuracy"], boundaries.map {
            [$0.attribute.rawValue, $0.source, $0.validationAccuracy.map(fmt) ?? "—"]
        })
        if !classifierAccuracy.isEmpty {
            out += "\nThe attribute classifier against the ground truth on the inputs: "
                + classifierAccuracy.sorted { $0.key < $1.key }.map { "\($0.key) \(fmt($0.value))" }.joined(separator: ", ") + ".\n"
        }
        if !notes.isEmpty { out += "\n## Notes\n\n" + notes.map { "- \($0)\n" }.joined() }
        return out
    }

    var reconstructionCSV: String {
        let header = "method,l2,mse,lpips,ssim,msssim,psnr,id,fd,seconds_per_image,parameters\n"
        return header + reconstruction.map { r in
            [r.label, "\(r.l2)", "\(r.mse)", "\(r.lpips)", r.ssim.map { "\($0)" } ?? "", r.msssim.map { "\($0)" } ?? "",
             "\(r.psnr)", "\(r.identity)", "\(r.frechet)", "\(r.secondsPerImage)", r.parameters.map(String.init) ?? ""]
                .joined(separator: ",") + "\n"
        }.joined()
    }

    var editingCSV: String {
        "method,attribute,strength,attribute_change,reached,id,other_change,gt_lpips\n" + editing.map { p in
            [p.label, p.attribute.rawValue, "\(p.strength)", "\(p.attributeChange)", p.reached.map { "\($0)" } ?? "",
             "\(p.identity)", "\(p.otherChange)", p.groundTruthLPIPS.map { "\($0)" } ?? ""].joined(separator: ",") + "\n"
        }.joined()
    }

    // MARK: plots and page

    /// Per attribute: the score change against strength, identity and entanglement against the change (the papers'
    /// editability / fidelity trade-off), and the distance to the ground truth against strength.
    var plots: [(String, SVGPlot)] {
        config.attributes.flatMap { attribute -> [(String, SVGPlot)] in
            func series(_ x: KeyPath<EditPoint, Double>, _ y: (EditPoint) -> Double?) -> [SVGPlot.Series] {
                config.methods.map { entry in
                    SVGPlot.Series(name: entry.description, points: editing
                        .filter { $0.label == entry.description && $0.attribute == attribute }
                        .compactMap { p in y(p).map { (p[keyPath: x], $0) } })
                }
            }
            let name = attribute.rawValue
            var plots = [
                ("plot-\(name)-change.svg", SVGPlot(title: "\(name): classifier change", xLabel: "edit strength",
                                                     yLabel: "Δ \(name)", series: series(\.strength) { $0.attributeChange })),
                ("plot-\(name)-identity.svg", SVGPlot(title: "\(name): identity kept", xLabel: "Δ \(name)",
                                                       yLabel: "ID similarity to the input", series: series(\.attributeChange) { $0.identity })),
                ("plot-\(name)-others.svg", SVGPlot(title: "\(name): other attributes", xLabel: "Δ \(name)",
                                                     yLabel: "mean |Δ| of the others", series: series(\.attributeChange) { $0.otherChange })),
            ]
            if editing.contains(where: { $0.attribute == attribute && $0.groundTruthLPIPS != nil }) {
                plots.append(("plot-\(name)-truth.svg", SVGPlot(title: "\(name): distance to the counterfactual",
                                                                xLabel: "edit strength", yLabel: "LPIPS to ground truth",
                                                                series: series(\.strength) { $0.groundTruthLPIPS })))
            }
            return plots
        }
    }

    public func html(title: String, intro: String, appendix: String) -> String {
        let esc = SVGPlot.escape
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }.joined() + "</table>\n"
        }
        var body = "<h1>\(esc(title))</h1>\(intro)<p>\(esc(images)), \(imageSize)x\(imageSize); generator "
            + "\(esc(generator)); \(esc(date)), \(esc(device)).</p>\n<h2>Reconstruction</h2>\n"
        body += table(Self.reconstructionColumns, reconstruction.map(cells))
        body += "<p>Rows: the inputs, then each method in table order.</p><img src=\"reconstructions.png\" alt=\"reconstructions\">\n"
        body += "<h2>Editing</h2>\n"
        for attribute in config.attributes {
            let name = attribute.rawValue
            body += "<h3>\(esc(name))</h3><p>Strengths \(config.strengths.map { String(format: "%g", $0) }.joined(separator: ", "))"
                + " of the first image; top row: the renderer's ground truth (counterfactual ends, the input at 0) "
                + "where it has one, then each method.</p>"
                + "<img src=\"edit-\(name).png\" alt=\"\(name) edits\"><div>"
                + plots.filter { $0.0.hasPrefix("plot-\(name)-") }.map { "<img src=\"\($0.0)\" alt=\"\(esc($0.1.title))\">" }.joined()
                + "</div>\n"
        }
        let captions = [
            "components.png": "Each method's first inversion: the reconstruction, GANSpace components 0 and 1 (−2σ, +2σ, "
                + "coarse rows), SeFa directions 0 and 1 (−3, +3, every row).",
            "mixing.png": "The first and second inversions, then the first with the second's coarse rows, and with its "
                + "fine rows.",
            "interpolation.png": "From the first inversion to the second in W+ (and F), five frames; the methods that "
                + "tune the generator are left out.",
        ]
        if !figures.isEmpty {
            body += "<h2>Figures</h2>" + figures.map {
                "<p>\(esc(captions[$0] ?? $0)) Rows: the methods in table order.</p><img src=\"\($0)\" alt=\"\($0)\">"
            }.joined(separator: "\n")
        }
        body += "<h2>Boundaries</h2>" + table(["attribute", "source", "validation accuracy"], boundaries.map {
            [$0.attribute.rawValue, $0.source, $0.validationAccuracy.map(fmt) ?? "—"]
        })
        if !notes.isEmpty { body += "<h2>Notes</h2><ul>" + notes.map { "<li>\(esc($0))</li>" }.joined() + "</ul>" }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(esc(title))</title>
            <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}img{image-rendering:pixelated;\
            max-width:100%;margin:.3em}table{border-collapse:collapse}td,th{padding:.2em .7em;border-bottom:1px solid #ddd;\
            text-align:right}</style></head><body>
            \(body)
            \(appendix)
            <p>Also: report.md, reconstruction.csv, editing.csv, report.json.</p>
            </body></html>

            """
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        "| " + header.joined(separator: " | ") + " |\n|" + header.map { _ in "---|" }.joined() + "\n"
            + rows.map { "| " + $0.joined(separator: " | ") + " |\n" }.joined()
    }

    static func millions(_ count: Int) -> String {
        count >= 1_000_000 ? String(format: "%.2fM", Double(count) / 1e6) : String(format: "%.0fk", Double(count) / 1e3)
    }
}

/// A method's edit of one attribute at the largest strength either way (nil where the strengths have no such side).
struct EditSummary {
    let label: String
    let attribute: TestbedAttribute
    let negative: EditPoint?
    let positive: EditPoint?
}

func fmt(_ value: Double) -> String { String(format: "%.4f", value) }
