import Checkpoints
import Editing
import Foundation
import Images
import Inversion
import Metrics
import Perception
import StyleGAN
import Testbed
import Torch

/// Runs every method of an evaluation over the same held-out images and measures the papers' tables: each
/// reconstruction against its input, then each inversion edited along every attribute boundary, against the
/// unedited reconstruction, the input's identity and (on testbed renders) the renderer's counterfactuals.
public final class Evaluator {
    public let config: EvaluationConfig
    public let models: EvaluationModels
    public let device: Device
    public let generator: LoadedGenerator
    let generatorSHA256: String
    let classifier: ResNet18Classifier
    let identity: IRSE50
    let lpips: LPIPS
    let lossNetworks: LossNetworks

    /// Checks every file first (one error names all missing ones), then loads the generator and the testbed networks.
    public init(config: EvaluationConfig, models: EvaluationModels, device: Device = .cpu) throws {
        try config.validate()
        try models.check(config.methods.map(\.method))
        self.config = config
        self.models = models
        self.device = device
        generator = try GeneratorCheckpoint.load(models.generator, device: device)
        generatorSHA256 = try SHA256.hex(ofFile: models.generator)
        // The losses' networks serve the measures too: the testbed LPIPS's trunk is the attribute classifier.
        lossNetworks = try LossNetworks.testbed(folder: models.networks, device: device)
        lpips = try lossNetworks.lpipsAlex.orThrow("the testbed LPIPS")
        classifier = try (lpips.net as? ResNet18Classifier).orThrow("the attribute classifier")
        guard case .arcFace(let identity) = lossNetworks.identity else { throw EvaluationError("the identity network is not loaded") }
        self.identity = identity
    }

    /// The generator's image size: the test images are rendered at it.
    public var size: Int { generator.generator.config.size }

    /// Evaluates every method on `images`, writing the grids into `folder` (which must exist) as it goes; `progress`
    /// hears one line per stage.
    public func run(_ images: EvaluationImages, folder: String, progress: (String) -> Void = { _ in }) throws
        -> EvaluationReport
    {
        guard images.size == size, images.images.size(2) == size else {
            throw EvaluationError("the test images are \(images.images.shape), the generator draws \(size)x\(size)")
        }
        let inputs = try images.images.to(device: device)
        var notes = ["The loss networks of the optimisation and tuning methods are the testbed's: its LPIPS stands in "
            + "for LPIPS-VGG and LPIPS-Alex, its identity network for ArcFace, its U-Net for E2Style's parser; PTI's "
            + "pivot projects with LPIPS (no StyleGAN2-ADA VGG16 exists for the testbed)."]
        if config.steps != nil || config.pivotSteps != nil {
            notes.append("Optimisation and tuning ran \(config.steps.map(String.init) ?? "their published") steps "
                + "(pivots \(config.pivotSteps.map(String.init) ?? "their published")), not the papers' counts.")
        }
        progress("boundaries for \(config.attributes.map(\.rawValue).joined(separator: ", "))")
        let (directions, boundaries) = try boundaries()
        let counterfactuals = try self.counterfactuals(images)
        let inputScores = try classifier.attributeScores(inputs)
        let inputIdentity = try embeddings(inputs)

        var rows: [ReconstructionRow] = []
        var points: [EditPoint] = []
        var reconstructionGrid = [try inputs.narrow(0, start: 0, length: min(config.gridCount, images.count)).to(device: .cpu)]
        var figures = config.figures && images.count >= 2
            ? try EvaluationFigures(generator.generator, samples: config.directionSamples, seed: config.seed, device: device)
            : nil
        var editGrids: [TestbedAttribute: [Tensor]] = [:]
        for attribute in config.attributes {
            editGrids[attribute] = try config.strengths.map { s in
                let truth = s == 0 ? nil : counterfactuals?[attribute]?[s > 0 ? 1 : 0]
                return try (truth ?? inputs).narrow(0, start: 0, length: 1).to(device: .cpu)
            }
        }
        let cache = try EvaluationCache(folder: folder, fingerprint: fingerprint(images))
        for entry in config.methods {
            let result: EntryResult
            if let cached = try cache.load(entry) {
                progress("\(entry): from the previous run's results")
                result = cached
            } else {
                result = try evaluate(entry, images: images, inputs: inputs, inputIdentity: inputIdentity,
                                      directions: directions, counterfactuals: counterfactuals, figures: figures,
                                      progress: progress)
                try cache.save(result, for: entry)
            }
            rows.append(result.record.row)
            points += result.record.points
            notes += result.record.notes
            reconstructionGrid.append(result.reconstructions)
            for (attribute, frames) in zip(config.attributes, result.edits) { editGrids[attribute]! += frames }
            if let rows = result.figureRows { figures?.add(entry.method, rows) }
        }
        progress("writing the grids")
        try save(imageGrid(reconstructionGrid, columns: min(config.gridCount, images.count)), folder, "reconstructions.png")
        for attribute in config.attributes {
            try save(imageGrid(editGrids[attribute]!, columns: config.strengths.count), folder, "edit-\(attribute.rawValue).png")
        }
        var figureFiles: [String] = []
        if let figures {
            try figures.write(to: folder) { try save($0, folder, $1); figureFiles.append($1) }
            if !figures.skipped.isEmpty {
                notes.append("No interpolation for \(figures.skipped.map(\.rawValue).joined(separator: ", ")): each "
                    + "inversion tuned its own generator, so frames between two of them have none to render with.")
            }
        }
        var accuracy: [String: Double] = [:]
        if let faces = images.faces {
            for attribute in config.attributes where attribute.isBinary {
                let column = try classifier.column(of: attribute)
                let predicted = try inputScores.select(1, column).doubles()
                let hits = zip(predicted, faces).filter { ($0.0 > 0.5) == (attribute.value(of: $0.1) > 0.5) }.count
                accuracy[attribute.rawValue] = Double(hits) / Double(faces.count)
            }
        }
        try cache.remove()
        let formatter = ISO8601DateFormatter()
        return EvaluationReport(config: config, images: images.source, imageSize: size,
                                generator: (models.generator as NSString).lastPathComponent, date: formatter.string(from: Date()),
                                device: device == .cpu ? "CPU" : "\(device)", reconstruction: rows, editing: points,
                                boundaries: boundaries, classifierAccuracy: accuracy, figures: figureFiles, notes: notes)
    }

    /// Inverts every image with one entry, measures the reconstructions and the edits, and keeps the pictures the
    /// report shows.
    func evaluate(_ entry: EvaluationEntry, images: EvaluationImages, inputs: Tensor, inputIdentity: Tensor,
                  directions: [TestbedAttribute: LatentDirection], counterfactuals: [TestbedAttribute: [Tensor]]?,
                  figures: EvaluationFigures?, progress: (String) -> Void) throws -> EntryResult
    {
        let method = entry.method
        let settings = config.settings(for: entry)
        let pipeline = try InversionPipeline.load(settings, checkpoint: models.generator,
                                                  encoder: models.encoder(for: method), networks: lossNetworks, device: device)
        var reconstructions: [Tensor] = []
        var edits: [TestbedAttribute: [[Tensor]]] = [:]
        var seconds = 0.0
        var firstEditors: [InversionEditor] = []
        for i in 0..<images.count {
            progress("\(entry): image \(i + 1) of \(images.count)")
            let started = Date()
            var outcome = try pipeline.invert(inputs.narrow(0, start: i, length: 1))
            seconds += Date().timeIntervalSince(started)
            if entry.wPlusOnly { outcome.feature = nil }
            let editor = try InversionEditor(pipeline.generator, inversion: pipeline.inversionFile(outcome),
                                             generatorSHA256: pipeline.generatorSHA256, device: device)
            if i < 2 { firstEditors.append(editor) }
            reconstructions.append(try editor.render(editor.inversion).clamp(min: -1, max: 1))
            let w = try editor.wPlus
            let rows = try RowWeights.all(w.size(0))
            for attribute in config.attributes {
                let frames = try config.strengths.map { s in
                    try editor.render(editor.edited(DirectionEdit.apply(w, along: directions[attribute]!, strength: s,
                                                                         rows: rows))).clamp(min: -1, max: 1)
                }
                edits[attribute, default: []].append(frames)
            }
        }
        let reconstruction = try Tensor.cat(reconstructions).to(device: device)
        let row = try self.row(entry, reconstruction: reconstruction, inputs: inputs, inputIdentity: inputIdentity,
                               seconds: seconds / Double(images.count), pipeline: pipeline)
        let reconstructionScores = try classifier.attributeScores(reconstruction)
        var points: [EditPoint] = []
        var editFrames: [[Tensor]] = []
        for attribute in config.attributes {
            var frames: [Tensor] = []
            for (k, s) in config.strengths.enumerated() {
                let edited = try Tensor.cat(edits[attribute]!.map { $0[k] }).to(device: device)
                points.append(try point(entry.description, attribute, strength: s, edited: edited, base: reconstructionScores,
                                        inputIdentity: inputIdentity,
                                        truth: counterfactuals?[attribute].map { s == 0 ? inputs : $0[s > 0 ? 1 : 0] }))
                frames.append(try edited.narrow(0, start: 0, length: 1).to(device: .cpu))
            }
            editFrames.append(frames)
        }
        let figureRows = try figures.map { try $0.rows(method, first: firstEditors[0], second: firstEditors[1]) }
        return EntryResult(
            record: .init(row: row, points: points, notes: pipeline.notes.map { "\(entry): \($0)." }),
            reconstructions: try reconstruction.narrow(0, start: 0, length: min(config.gridCount, images.count)).to(device: .cpu),
            edits: editFrames, figureRows: figureRows)
    }

    /// What makes a previous run's results reusable: the settings, the model files and the images.
    func fingerprint(_ images: EvaluationImages) throws -> String {
        var files = [models.generator, models.networks] + config.methods.compactMap { try? models.encoder(for: $0.method) }
        files += config.attributes.compactMap { models.direction(for: $0.rawValue) }
        let stamps = files.map { path -> String in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let size = attributes?[.size] as? Int ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(path) \(size) \(modified)"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let settings = String(decoding: try encoder.encode(config), as: UTF8.self)
        return ([settings, images.source, "\(images.names)", "\(device)"] + stamps).joined(separator: "\n")
    }

    // MARK: measures

    func row(_ entry: EvaluationEntry, reconstruction x: Tensor, inputs: Tensor, inputIdentity: Tensor,
             seconds: Double, pipeline: InversionPipeline) throws -> ReconstructionRow
    {
        try withNoGrad {
            let ssim = size >= Metrics.ssimWindowSize ? mean(try Metrics.ssim(x, inputs)) : nil
            let msssim = size > 160 ? mean(try Metrics.msssim(x, inputs)) : nil
            let features = try TestbedFeatures.features(classifier, count: x.size(0)) { try x.narrow(0, start: $0.lowerBound, length: $0.count) }
            let reference = try TestbedFeatures.features(classifier, count: inputs.size(0)) { try inputs.narrow(0, start: $0.lowerBound, length: $0.count) }
            let encoder = (pipeline.inverter as? EncoderInverter)?.encoder.networks
            return ReconstructionRow(
                method: entry.method, label: entry.description, l2: mean(try Metrics.l2(x, inputs)), mse: mean(try Metrics.mse(x, inputs)),
                lpips: mean(try Metrics.lpips(x, inputs, network: lpips)), ssim: ssim, msssim: msssim,
                psnr: mean(try Metrics.psnr(x, inputs)), identity: mean(try similarity(embeddings(x), inputIdentity)),
                frechet: try Metrics.frechetDistance(FeatureStatistics(features: features), FeatureStatistics(features: reference)),
                secondsPerImage: seconds, parameters: encoder.map(Metrics.parameterCount))
        }
    }

    func point(_ label: String, _ attribute: TestbedAttribute, strength: Double, edited: Tensor, base: Tensor,
               inputIdentity: Tensor, truth: Tensor?) throws -> EditPoint
    {
        try withNoGrad {
            let editScores = try classifier.attributeScores(edited)
            let column = try classifier.column(of: attribute)
            let change = try (editScores.select(1, column) - base.select(1, column)).doubles()
            var reached: Double?
            if strength != 0 {
                let after = try editScores.select(1, column).doubles()
                let hits = attribute.isBinary
                    ? after.filter { strength > 0 ? $0 > 0.5 : $0 < 0.5 }.count
                    : change.filter { strength > 0 ? $0 > 0 : $0 < 0 }.count
                reached = Double(hits) / Double(after.count)
            }
            let others = try TestbedAttribute.allCases.filter { $0.isBinary && $0 != attribute }.map(classifier.column(of:))
            let index = try Tensor(others.map(Int64.init))
            let otherChange = try (editScores.indexSelect(1, index) - base.indexSelect(1, index)).abs().mean().item()
            return EditPoint(label: label, attribute: attribute, strength: strength, attributeChange: mean(change),
                             reached: reached, identity: mean(try similarity(embeddings(edited), inputIdentity)),
                             otherChange: otherChange,
                             groundTruthLPIPS: try truth.map { mean(try Metrics.lpips(edited, $0, network: lpips)) })
        }
    }

    /// Unit identity embeddings [N, D] (the testbed network's pSp-style face crop).
    func embeddings(_ images: Tensor) throws -> Tensor {
        try withNoGrad { try F.normalize(identity.idLossEmbedding(images).to(dtype: .float64), p: 2, dim: 1) }
    }

    func similarity(_ a: Tensor, _ b: Tensor) throws -> [Double] {
        try (a * b).sum([1]).doubles()
    }

    // MARK: inputs of the edits

    /// Each edited attribute's boundary: the directions folder's file when it has one (for this generator), else
    /// fitted on generated samples.
    func boundaries() throws -> ([TestbedAttribute: LatentDirection], [BoundaryRecord]) {
        var directions: [TestbedAttribute: LatentDirection] = [:]
        var records: [BoundaryRecord] = []
        var missing: [TestbedAttribute] = []
        for attribute in config.attributes {
            guard let path = models.direction(for: attribute.rawValue) else { missing.append(attribute); continue }
            let (direction, sidecar) = try DirectionFile.read(path)
            if let sha = sidecar?.generatorSHA256, sha != generatorSHA256 {
                throw EvaluationError("\(path) was found for another generator (SHA-256 \(sha.prefix(12))…)")
            }
            directions[attribute] = direction
            records.append(BoundaryRecord(attribute: attribute, source: (path as NSString).lastPathComponent,
                                          validationAccuracy: sidecar?.validationAccuracy))
        }
        if !missing.isEmpty {
            let fitted = try TestbedDirections.interFaceGAN(generator.generator, classifier: classifier, attributes: missing,
                                                            samples: config.directionSamples, probes: 0, seed: config.seed,
                                                            device: device)
            for attribute in missing {
                directions[attribute] = fitted[attribute]!.direction
                records.append(BoundaryRecord(attribute: attribute, source: "fitted on \(config.directionSamples) samples",
                                              validationAccuracy: fitted[attribute]!.validationAccuracy))
            }
        }
        return (directions, config.attributes.compactMap { a in records.first { $0.attribute == a } })
    }

    /// For each edited attribute with a counterfactual, the inputs re-rendered at its negative and positive ends; nil
    /// without ground truth.
    func counterfactuals(_ images: EvaluationImages) throws -> [TestbedAttribute: [Tensor]]? {
        guard let faces = images.faces else { return nil }
        let renderer = try TestbedRenderer(size: size, device: device)
        var result: [TestbedAttribute: [Tensor]] = [:]
        for attribute in config.attributes where attribute.hasCounterfactual {
            result[attribute] = try [false, true].map { positive in
                try renderer.render(faces: faces.map { attribute.counterfactual(of: $0, positive: positive)! }).images
            }
        }
        return result
    }

    func save(_ image: Tensor, _ folder: String, _ name: String) throws {
        try Image(tensor: image.clamp(min: -1, max: 1)).write(to: (folder as NSString).appendingPathComponent(name))
    }
}

func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }

extension Optional {
    func orThrow(_ what: String) throws -> Wrapped {
        guard let value = self else { throw EvaluationError("\(what) is not loaded") }
        return value
    }
}
