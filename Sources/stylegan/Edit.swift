import ArgumentParser
import Checkpoints
import Editing
import Foundation
import Images
import Inversion
import Perception
import StyleGAN
import Torch

/// `stylegan edit INVERSION... --checkpoint G`: images of inversions moved along a direction, mixed with
/// another inversion's styles, or interpolated toward it.
struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit inversions: move along a direction, mix styles, or interpolate.",
        discussion: """
            --direction takes FILE.npy (a [1, D] direction: an InterFaceGAN boundary, or one `stylegan directions` \
            wrote, whose sidecar makes strengths GANSpace sigmas and gives SeFa's layers as the default --layers), \
            FILE.npz:K (component K of a GANSpace cache; strength in sigmas), sefa:K (SeFa direction K of \
            --layers, default all) or ganspace:K (GANSpace component K of --samples mapped codes; strength in sigmas).

            Each strength gives one image per inversion, NAME_TAG_NN.png, and TAG_sweep.png lays them out, a row \
            per inversion. --mix OTHER takes --layers from OTHER (strength 1, the default, replaces them); \
            --interpolate OTHER makes --frames frames, linear in W+ and in the feature F. A feature moves with an \
            edit by f' = f + G^K(w') - G^K(w); PTI/GANI inversions are edited with their tuned weights. CLCAE \
            inversions moved along a direction on every row are edited as CLCAE's inference_edit.py does: the encoder \
            (--encoder, else the file the inversion records) re-encodes the photo (--image, else the recorded one) \
            with the offset on its foundation code; --feature-rule uses the F-space rule instead, as layer-range \
            edits always do.
            """
    )

    @Argument(help: "Inversion files (.safetensors).")
    var inversions: [String]

    @OptionGroup var checkpoint: CheckpointOption

    @Option(help: "FILE.npy, FILE.npz:K, sefa:K or ganspace:K.")
    var direction: DirectionSpec?

    @Option(help: "Another inversion whose styles replace --layers.")
    var mix: String?

    @Option(help: "Another inversion to interpolate toward.")
    var interpolate: String?

    @Option(parsing: .unconditional,
            help: "Strengths: start:end:count (e.g. -3:3:7) or a list (0,1.5); default: the method's official sweep.",
            transform: StrengthList.parse)
    var strength: StrengthList?

    @Option(help: "w+ rows to edit, e.g. 0-7 or 8-17 (default: all, or the direction's own).", transform: RowList.parse)
    var layers: RowList?

    @Option(parsing: .unconditional, help: "Per-row strength, one weight per w+ row (instead of --layers), e.g. -1,0.5,...")
    var layerWeights: String?

    @Option(help: "Project the direction off this one (InterFaceGAN conditional editing); repeat for more.")
    var condition: [String] = []

    @Option(help: "offset: strengths move the code; position: they set its coordinate (InterFaceGAN's W rule).")
    var strengthMode: DirectionEdit.Mode = .offset

    @Option(help: "CLCAE inversions: the encoder file that re-encodes the photo (default: the one recorded).")
    var encoder: String?

    @Option(help: "CLCAE inversions: the photo that was inverted (default: the one recorded).")
    var image: String?

    @Flag(help: "CLCAE inversions: move the feature by the F-space rule instead of re-encoding the photo.")
    var featureRule = false

    @Option(parsing: .unconditional, help: "Frames for --interpolate.")
    var frames: Int = 8

    @Option(parsing: .unconditional, help: "ganspace:K only: w codes to sample.")
    var samples: Int = 1_000_000

    @Option(parsing: .unconditional, help: "ganspace:K only: seed of the z codes.")
    var seed: Int = 0

    @Option(name: .customLong("paste-back"), help: "The alignment record (NAME.json of stylegan align) of each inversion, in order: each edit is also pasted back into the photo it was cut from (NAME_TAG_KK_pasted.png).")
    var pasteBack: [String] = []

    @Option(help: "Output folder.")
    var outdir: OutputFolder = "edits"

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard [direction != nil, mix != nil, interpolate != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give one of --direction, --mix or --interpolate")
        }
        guard layers == nil || layerWeights == nil else { throw ValidationError("give --layers or --layer-weights, not both") }
        if mix != nil, layers == nil, layerWeights == nil {
            throw ValidationError("--mix needs --layers (or --layer-weights): the w+ rows to take from the other inversion")
        }
        if interpolate != nil {
            guard strength == nil, layers == nil, layerWeights == nil else {
                throw ValidationError("--interpolate takes --frames, not --strength or --layers")
            }
            try Bounds.check("--frames", frames, 2...1000)
        }
        if !condition.isEmpty, direction == nil { throw ValidationError("--condition applies to --direction") }
        if strengthMode != .offset, direction == nil { throw ValidationError("--strength-mode applies to --direction") }
        if encoder != nil || image != nil || featureRule, direction == nil {
            throw ValidationError("--encoder, --image and --feature-rule apply to --direction edits of CLCAE inversions")
        }
        if !pasteBack.isEmpty, pasteBack.count != inversions.count {
            throw ValidationError("--paste-back takes one alignment record per inversion: \(inversions.count) inversions, "
                + "\(pasteBack.count) records")
        }
        try Bounds.check("--samples", samples, 2...GANSpaceDirections.maxSamples)
        try Seed.check("--seed", seed)
        // Each inversion's images are named by its stem, whatever the edit's tag.
        try OutputFiles.check(inversions.map { (outdir.file(Edit.stem($0) + "_*.png"), $0) }, inputs: inversions)
    }

    func run() throws {
        try outdir.check()
        try runtime.start()
        let device = try self.device.resolve()
        let loaded = try checkpoint.load(device: device)
        let sha = try checkpoint.sha256()
        let g = loaded.generator
        // Everything is read, checked and rendered before the first file is written.
        let editors = try inversions.map { path in
            try named(path) { try InversionEditor(loaded, inversion: InversionFile.read(path), generatorSHA256: sha, device: device) }
        }
        let photos = try pasteBack.map { path in
            let record = try AlignmentRecord.read(path: path)
            return (quad: record.alignmentQuad, photo: try Image.read(path: record.sourcePath(recordPath: path)).tensor(device: device))
        }
        let operation = try self.operation(loaded, sha: sha, device: device)
        let rows = try rowWeights(g, default: operation.defaultRows)
        let values = strength?.values ?? operation.defaultStrengths
        let progress = Progress(label: "edit")
        var images: [[Tensor]] = []
        for (i, editor) in editors.enumerated() {
            let edited: [InversionFile] = try named(inversions[i]) {
                switch operation {
                case .direction(let d):
                    if let clcae = try foundationEdit(editor, rows: rows, device: device) {
                        return try values.map { try clcae.edited(editor.inversion, offset: d.vector.reshape([1, -1]) * ($0 * d.unit)) }
                    }
                    return try values.map {
                        try editor.edited(DirectionEdit.apply(editor.wPlus, along: d, strength: $0, rows: rows, mode: strengthMode))
                    }
                case .mix(let other, _):
                    return try values.map { try editor.edited(StyleMixing.apply(editor.wPlus, from: other.wPlus, strength: $0, rows: rows)) }
                case .interpolate(let other, _):
                    return try InversionInterpolation.frames(from: editor, to: other, count: frames)
                }
            }
            images.append(try edited.map { try editor.render($0) })
            progress.update(i + 1, editors.count)
        }
        try outdir.prepare()
        let tag = operation.tag
        for (path, row) in zip(inversions, images) {
            for (k, image) in row.enumerated() {
                try Image(tensor: image).write(to: outdir.file("\(Edit.stem(path))_\(tag)_\(String(format: "%02d", k)).png"))
            }
        }
        for (path, (row, target)) in zip(inversions, zip(images, photos)) {
            for (k, image) in row.enumerated() {
                try Image(tensor: PasteBack.paste(image, into: target.photo, quad: target.quad))
                    .write(to: outdir.file("\(Edit.stem(path))_\(tag)_\(String(format: "%02d", k))_pasted.png"))
            }
        }
        let grid = try imageGrid(images.flatMap { $0 }, columns: images[0].count)
        try Image(tensor: grid).write(to: outdir.file("\(tag)_sweep.png"))
        let steps = interpolate != nil ? "\(frames) frames" : "strengths " + values.map { String(format: "%g", $0) }.joined(separator: ", ")
        print("wrote \(images[0].count) images per inversion (\(steps)) to \(outdir), and \(outdir)/\(tag)_sweep.png")
    }

    /// CLCAE's own edit for a CLCAE inversion moved by offset on every row, unless --feature-rule; nil otherwise.
    private func foundationEdit(_ editor: InversionEditor, rows: RowWeights, device: Device) throws -> CLCAEFoundationEdit? {
        guard editor.inversion.metadata.method == InversionMethod.clcae.rawValue, !featureRule, strengthMode == .offset,
              rows.values.allSatisfy({ $0 == 1 })
        else { return nil }
        do {
            return try CLCAEFoundationEdit.load(for: editor.inversion, generator: editor.generator, encoder: encoder,
                                                image: image, device: device)
        } catch let error as InversionError {
            throw CLIError("\(error); or give --feature-rule to move the feature by the F-space rule")
        }
    }

    /// What the command does, with its inputs read and checked.
    enum Operation {
        case direction(LatentDirection)
        case mix(InversionFile, name: String)
        case interpolate(InversionFile, name: String)

        var tag: String {
            switch self {
            case .direction(let d): d.label
            case .mix(_, let name): "mix_\(name)"
            case .interpolate(_, let name): "interp_\(name)"
            }
        }

        var defaultRows: [Int]? {
            if case .direction(let d) = self { return d.rows }
            return nil
        }

        var defaultStrengths: [Double] {
            if case .direction(let d) = self { return d.defaultStrengths }
            return [1]
        }
    }

    private func operation(_ loaded: LoadedGenerator, sha: String, device: Device) throws -> Operation {
        let g = loaded.generator
        if let path = mix ?? interpolate {
            let other = try named(path) { () -> InversionFile in
                let file = try InversionFile.read(path)
                _ = try InversionEditor(loaded, inversion: file, generatorSHA256: sha)  // same generator, same shape
                return file
            }
            return mix != nil ? .mix(other, name: Edit.stem(path)) : .interpolate(other, name: Edit.stem(path))
        }
        var d: LatentDirection
        switch direction! {
        case .file(let path):
            d = try named(path) { try DirectionFile.read(path).direction }
            try named(path) { try d.check(styleDim: g.config.styleDim) }
        case .ganspaceCache(let path, let k):
            d = try named(path) {
                try GANSpace.load(path).direction(k, label: "\(Edit.stem(path))\(k)")
            }
            try named(path) { try d.check(styleDim: g.config.styleDim) }
        case .sefa(let k):
            guard k < g.config.styleDim else {
                throw ValidationError("--direction sefa:\(k): SeFa gives \(g.config.styleDim) directions (0...\(g.config.styleDim - 1))")
            }
            let rows = try rowWeights(g, default: nil).rows
            let f = try option("--direction sefa:\(k)") { try SeFa.factorize(g, rows: rows) }
            d = try LatentDirection(vector: f.directions.select(0, k), rows: f.rows, label: "sefa\(k)", method: .sefa)
        case .ganspace(let k):
            guard k < g.config.styleDim else {
                throw ValidationError("--direction ganspace:\(k): W has \(g.config.styleDim) components (0...\(g.config.styleDim - 1))")
            }
            let c = try GANSpace.components(of: g, samples: samples, count: k + 1, seed: UInt64(seed), device: device,
                                            progress: Progress(label: "ganspace").update)
            d = try c.direction(k)
        }
        if !condition.isEmpty {
            let conditions = try condition.map { path in try named(path) { try DirectionFile.read(path).direction.vector } }
            d = try option("--condition") { try d.conditioned(on: conditions) }
        }
        return .direction(d)
    }

    /// The row weights of --layers / --layer-weights, else `fallback` rows, else all rows.
    private func rowWeights(_ g: StyleGAN2Generator, default fallback: [Int]?) throws -> RowWeights {
        if let layerWeights {
            let values = layerWeights.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == g.nLatent, values.allSatisfy({ $0?.isFinite == true }) else {
                throw ValidationError("--layer-weights must be \(g.nLatent) finite numbers (one per w+ row), got '\(layerWeights)'")
            }
            return try option("--layer-weights") { try RowWeights(values: values.map { $0! }) }
        }
        if let rows = layers?.rows {
            return try option("--layers") { try RowWeights(rows: rows, count: g.nLatent) }
        }
        if let fallback {
            return try option("--direction (the layers of its sidecar)") { try RowWeights(rows: fallback, count: g.nLatent) }
        }
        return try RowWeights.all(g.nLatent)
    }

    /// The file name without folder and extension.
    static func stem(_ path: String) -> String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }
}

/// Runs `body`, reporting a library check it fails as an error about `path`.
private func named<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TorchError {
        throw ValidationError("\(path): \(error.message)")
    }
}

/// Runs `body`, reporting a library check it fails as an error about the option.
private func option<T>(_ name: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TorchError {
        throw ValidationError("\(name): \(error.message)")
    }
}

extension DirectionEdit.Mode: ExpressibleByArgument {}

/// What --direction names.
enum DirectionSpec: ExpressibleByArgument {
    case file(String)
    case ganspaceCache(String, Int)
    case sefa(Int)
    case ganspace(Int)

    init?(argument: String) {
        func index(after prefix: String) -> Int? {
            guard argument.hasPrefix(prefix), let k = Int(argument.dropFirst(prefix.count)), k >= 0 else { return nil }
            return k
        }
        if argument.hasPrefix("sefa:") {
            guard let k = index(after: "sefa:") else { return nil }
            self = .sefa(k)
        } else if argument.hasPrefix("ganspace:") {
            guard let k = index(after: "ganspace:") else { return nil }
            self = .ganspace(k)
        } else if let colon = argument.lastIndex(of: ":"), argument[..<colon].lowercased().hasSuffix(".npz") {
            guard let k = Int(argument[argument.index(after: colon)...]), k >= 0 else { return nil }
            self = .ganspaceCache(String(argument[..<colon]), k)
        } else if argument.lowercased().hasSuffix(".npy") {
            self = .file(argument)
        } else {
            return nil
        }
    }
}

/// "-3:3:7" (start:end:count, evenly spaced) or "0,1.5": finite strengths.
struct StrengthList {
    let values: [Double]

    /// Parses the list; the error says what is wrong with it (ArgumentParser adds the flag).
    static func parse(_ argument: String) throws -> StrengthList {
        func number(_ text: Substring) throws -> Double {
            guard let value = Double(text), value.isFinite else { throw ValidationError("'\(text)' is not a finite number") }
            return value
        }
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 3 {
            let (a, b) = (try number(parts[0]), try number(parts[1]))
            guard let n = Int(parts[2]), (1...1000).contains(n) else {
                throw ValidationError("the count of start:end:count must be in 1...1000, got '\(parts[2])'")
            }
            return StrengthList(values: n == 1 ? [a] : (0..<n).map { a + (b - a) * Double($0) / Double(n - 1) })
        }
        guard parts.count == 1 else { throw ValidationError("write start:end:count (e.g. -3:3:7) or a list (0,1.5)") }
        let list = try argument.split(separator: ",", omittingEmptySubsequences: false).map(number)
        guard list.count <= 1000 else { throw ValidationError("at most 1000 strengths, got \(list.count)") }
        return StrengthList(values: list)
    }
}
