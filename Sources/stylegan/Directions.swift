import ArgumentParser
import Checkpoints
import Editing
import Evaluation
import Foundation
import Perception
import Testbed
import StyleGAN
import Torch

/// `stylegan directions sefa|ganspace|interfacegan`: latent directions to edit with, written as .npy files
/// ([1, D], InterFaceGAN's boundary shape) with JSON sidecars.
struct Directions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find latent directions: SeFa, GANSpace components or an InterFaceGAN boundary.",
        discussion: """
            Each direction is written as NAME.npy ([1, D], unit length) with NAME.json beside it (method, layers, \
            eigenvalue or explained variance, std, the generator's SHA-256). `stylegan edit --direction NAME.npy` \
            reads both: GANSpace strengths are in standard deviations, SeFa edits its factorised layers.
            """,
        subcommands: [SeFaDirections.self, GANSpaceDirections.self, InterFaceGANDirections.self, TestbedAttributeDirections.self]
    )
}

/// The generator and the output folder, shared by the three methods.
struct DirectionOutput: ParsableArguments {
    @OptionGroup var checkpoint: CheckpointOption

    @Option(name: [.customLong("out"), .customLong("outdir")], help: "Output folder.")
    var out: OutputFolder

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    /// Checks the files NAME.npy and NAME.json of `names` (and `others`) against each other and the inputs and the
    /// folder, starts the runtime and loads the generator, the device and its file's SHA-256.
    func start(_ names: [String], others: [String] = [], inputs: [String] = []) throws -> (LoadedGenerator, Device, String) {
        let files = names.flatMap { [$0 + ".npy", $0 + ".json"] } + others
        try OutputFiles.check(files.map { (out.file($0), $0) }, inputs: [checkpoint.checkpoint] + inputs)
        try runtime.start()
        let device = try self.device.resolve()
        let loaded = try checkpoint.load(device: device)
        try out.check()
        return (loaded, device, try checkpoint.sha256())
    }

    /// Writes every direction once all of them are computed, so a failure leaves no partial set.
    func write(_ directions: [(name: String, vector: Tensor, sidecar: DirectionFile.Sidecar)]) throws {
        try out.prepare()
        for d in directions { try DirectionFile.write(d.vector, sidecar: d.sidecar, to: out.file(d.name + ".npy")) }
    }
}

struct SeFaDirections: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sefa",
        abstract: "Closed-form directions from the style modulation weights (SeFa).",
        discussion: """
            Layers are w+ rows: row r < L - 1 is the styled conv it drives, the last row the final ToRGB \
            (SeFa's numbering); default all. Writes sefa_000.npy ... largest eigenvalue first.
            """
    )

    @Option(help: "w+ rows to factorise, e.g. 0-5 (default: all).", transform: RowList.parse)
    var layers: RowList?

    @Option(parsing: .unconditional, help: "Directions to write.")
    var components: Int = 5

    @OptionGroup var output: DirectionOutput

    func validate() throws {
        try Bounds.check("--components", components, 1...4096)
    }

    static func name(_ k: Int) -> String { String(format: "sefa_%03d", k) }

    func run() throws {
        let (loaded, _, sha) = try output.start((0..<components).map(Self.name))
        let g = loaded.generator
        if let layers, let bad = layers.rows.first(where: { $0 >= g.nLatent }) {
            throw ValidationError("--layers: row \(bad) is outside 0...\(g.nLatent - 1) (this generator's w+ has \(g.nLatent) rows)")
        }
        guard components <= g.config.styleDim else {
            throw ValidationError("--components: W has \(g.config.styleDim) dimensions, so at most \(g.config.styleDim) directions")
        }
        let f = try SeFa.factorize(g, rows: layers?.rows)
        let values = try f.eigenvalues.doubles()
        let directions = try (0..<components).map { k in
            (name: Self.name(k), vector: try f.directions.select(0, k),
             sidecar: DirectionFile.Sidecar(method: "sefa", generatorSHA256: sha, index: k, layers: f.rows, eigenvalue: values[k]))
        }
        try output.write(directions)
        for d in directions { print(output.out.file(d.name + ".npy").padded + "  eigenvalue \(String(format: "%.4f", d.sidecar.eigenvalue!))") }
    }
}

struct GANSpaceDirections: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ganspace",
        abstract: "Principal components of W (GANSpace).",
        discussion: """
            Maps --samples seeded z codes, accumulates the mean and covariance of w in float64 and writes the \
            leading components as ganspace_000.npy ... (strength in standard deviations), and all of them as \
            ganspace.npz in GANSpace's cache layout (lat_comp [K, 1, D], lat_mean, lat_stdev, var_ratio).
            """
    )

    @Option(parsing: .unconditional, help: "w codes to sample.")
    var samples: Int = 1_000_000

    @Option(parsing: .unconditional, help: "Components to write.")
    var components: Int = 80

    @Option(parsing: .unconditional, help: "Seed of the z codes.")
    var seed: Int = 0

    @OptionGroup var output: DirectionOutput

    /// Ten times GANSpace's own 10^6: more only costs time (the covariance is D x D whatever the count).
    static let maxSamples = 10_000_000

    func validate() throws {
        try Bounds.check("--components", components, 1...4096)
        try Bounds.check("--samples", samples, 2...Self.maxSamples)
        try Seed.check("--seed", seed)
    }

    static func name(_ k: Int) -> String { String(format: "ganspace_%03d", k) }

    func run() throws {
        let (loaded, device, sha) = try output.start((0..<components).map(Self.name), others: ["ganspace.npz"])
        let d = loaded.generator.config.styleDim
        guard components <= d else { throw ValidationError("--components: W has \(d) dimensions, so at most \(d) components") }
        let c = try GANSpace.components(of: loaded.generator, samples: samples, count: components, seed: UInt64(seed),
                                        device: device, progress: Progress(label: "ganspace").update)
        let directions = try (0..<components).map { k in
            (name: Self.name(k), vector: try c.directions.select(0, k),
             sidecar: DirectionFile.Sidecar(method: "ganspace", generatorSHA256: sha, index: k,
                                            explainedVarianceRatio: c.explainedVarianceRatio?[k], std: c.std[k], samples: samples,
                                            mean: try c.mean.to(dtype: .float64).doubles()))
        }
        try output.write(directions)
        try GANSpace.write(c, to: output.out.file("ganspace.npz"))
        for (k, d) in directions.enumerated() {
            print(output.out.file(d.name + ".npy").padded + String(format: "  std %.4f  variance %.2f%%", c.std[k],
                                                              100 * (c.explainedVarianceRatio?[k] ?? 0)))
        }
        print("wrote \(output.out.file("ganspace.npz")) (GANSpace cache layout)")
    }
}

struct InterFaceGANDirections: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interfacegan",
        abstract: "An attribute boundary from labelled latent codes (InterFaceGAN, linear SVM by liblinear).",
        discussion: """
            --labels: one row per code, the value in the last field; a header row is skipped. All 0/1 values \
            are binary labels (every code is used); other numbers are attribute scores, of which the --chosen \
            highest and lowest become positives and negatives, as InterFaceGAN's train_boundary. Each class is \
            split --split-ratio : rest into training and validation. --classifier svc (default) is InterFaceGAN's \
            SVC(kernel='linear'), linear-svc scikit-learn's LinearSVC, mean-difference the line between the classes' \
            means. Writes NAME.npy [1, D] and NAME.json.
            """
    )

    @Option(help: "W codes [N, D] (.npy), e.g. the latents.npy of `stylegan generate`.")
    var latents: String

    @Option(help: "CSV of labels or scores, one row per code.")
    var labels: String

    @Option(parsing: .unconditional, help: "Scores only: ratio (0, 1] or number (> 1) of codes taken from each end.")
    var chosen: Double = 0.02

    @Option(parsing: .unconditional, help: "Share of each class used for training; the rest validates.")
    var splitRatio: Double = 0.7

    @Option(parsing: .unconditional, help: "Seed of the training/validation split.")
    var seed: Int = 0

    @Option(help: "svc (InterFaceGAN's SVC with a linear kernel), linear-svc (LinearSVC) or mean-difference.")
    var classifier: InterFaceGAN.Classifier = .svc

    @Option(parsing: .unconditional, help: "Scores only: codes with this score are left out (e.g. -1).")
    var invalidValue: Double?

    @Option(help: "Name of the boundary file, without extension.")
    var name: String = "boundary"

    @OptionGroup var output: DirectionOutput

    func validate() throws {
        guard chosen.isFinite, chosen > 0 else { throw ValidationError("--chosen must be a positive number, got \(chosen)") }
        guard splitRatio > 0, splitRatio <= 1 else { throw ValidationError("--split-ratio must be in (0, 1], got \(splitRatio)") }
        try Seed.check("--seed", seed)
        if let invalidValue, !invalidValue.isFinite {
            throw ValidationError("--invalid-value must be a finite number, got \(invalidValue)")
        }
        guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name must be a plain file name, got '\(name)'") }
    }

    func run() throws {
        let (loaded, _, sha) = try output.start([name], inputs: [latents, labels])
        let d = loaded.generator.config.styleDim
        let codes = try NumPy.readArray(latents)
        guard codes.rank == 2, codes.size(1) == d else {
            throw ValidationError("\(latents): latent codes must be W codes [N, \(d)], got \(codes.shape)")
        }
        let values: AttributeLabels.Values
        do {
            values = try AttributeLabels.read(labels)  // its errors name the file
        } catch let error as TorchError {
            throw ValidationError(error.message)
        }
        guard values.count == codes.size(0) else {
            throw ValidationError("\(labels): \(values.count) labels for the \(codes.size(0)) codes of \(latents)")
        }
        let boundary: InterFaceGAN.Boundary
        do {
            boundary = try InterFaceGAN.train(latents: codes, labels: values,
                                              options: .init(chosen: chosen, splitRatio: splitRatio, seed: UInt64(seed),
                                                             classifier: classifier, invalidValue: invalidValue))
        } catch let error as TorchError {
            throw ValidationError("\(latents) with \(labels): \(error.message)")
        }
        let sidecar = DirectionFile.Sidecar(method: "interfacegan", generatorSHA256: sha, samples: codes.size(0),
                                            validationAccuracy: boundary.validationAccuracy,
                                            trainingAccuracy: boundary.trainingAccuracy)
        try output.write([(name: name, vector: boundary.normal, sidecar: sidecar)])
        print("wrote \(output.out.file(name + ".npy")): trained on \(boundary.training.positives) positive and "
            + "\(boundary.training.negatives) negative codes, training accuracy "
            + String(format: "%.4f", boundary.trainingAccuracy)
            + (boundary.validationAccuracy.map { String(format: ", validation accuracy %.4f", $0) } ?? "")
            + (boundary.remainingAccuracy.map { String(format: ", accuracy on the %d remaining codes %.4f", boundary.remaining, $0) } ?? ""))
    }
}

extension InterFaceGAN.Classifier: ExpressibleByArgument {}
extension TestbedDirections.Fit: ExpressibleByArgument {}

/// w+ rows such as "0-5" or "0-3,8" (sorted, without repeats).
struct RowList {
    let rows: [Int]

    static func parse(_ argument: String) throws -> RowList {
        RowList(rows: Array(Set(try SeedList.parse(argument).values)).sorted())
    }
}

/// `stylegan directions testbed`: InterFaceGAN boundaries of a testbed generator for its attributes, the samples
/// labelled by the testbed's attribute classifier (`TestbedDirections`).
struct TestbedAttributeDirections: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testbed",
        abstract: "InterFaceGAN directions for the testbed's attributes, on samples scored by its classifier.",
        discussion: """
            SAMPLES codes w = mapping(z) are rendered with the constant noise and scored by the attribute classifier. \
            --fit conditional (default) regresses the codes on every attribute's score at once and takes each \
            attribute's slope, the way w moves with it while the other scores stay fixed (a class-means \
            difference that does not drag the attributes W ties to it along); it is fitted on \
            \(Int(TestbedDirections.splitRatio * 100))% of the codes and checked on the rest. The other fits are \
            InterFaceGAN's boundaries between the highest and lowest \(Int(TestbedDirections.chosen * 100))% of each \
            attribute's scores: mean-difference joins the two classes' means, svc is InterFaceGAN's SVM (whose \
            normals lean on directions of little variance in narrow generators), linear-svc liblinear's. Each \
            direction then edits --probes further samples by ±\(Int(TestbedDirections.probeStrength)) \
            deviations: the mean change of its attribute and of the others, per deviation and in each score's \
            standard deviations, is printed and kept. Writes interfacegan_ATTRIBUTE.npy [1, D] and its .json \
            (validation accuracy, the generator's SHA-256, the edit's effect, and std: the samples' standard \
            deviation along the normal, which makes edit strengths count in deviations), the layout \
            `stylegan evaluate` and the demo read from a models folder's directions/.
            """
    )

    @Option(help: "Comma-separated attributes (default: all).")
    var attributes: String?

    @Option(parsing: .unconditional, help: "Generated samples to label.")
    var samples = 10_000

    @Option(parsing: .unconditional, help: "Further samples the edits are measured on (0: none).")
    var probes = 256

    @Option(help: "conditional, mean-difference, svc or linear-svc: how each direction is found.")
    var fit: TestbedDirections.Fit = .conditional

    @Option(parsing: .unconditional, help: "Seed of z and of the training/validation split.")
    var seed = 0

    @Option(help: "The attribute classifier.")
    var classifier = "Models/testbed/attributes.safetensors"

    @OptionGroup var output: DirectionOutput

    var chosen: [TestbedAttribute] {
        get throws {
            guard let attributes else { return TestbedAttribute.allCases }
            return try TestbedAttribute.list(attributes)
        }
    }

    func validate() throws {
        _ = try chosen
        guard samples >= 16 else { throw ValidationError("--samples must be at least 16, got \(samples)") }
        guard probes >= 0 else { throw ValidationError("--probes must be 0 or more, got \(probes)") }
        try Seed.check("--seed", seed)
        guard FileManager.default.fileExists(atPath: classifier) else {
            throw ValidationError("\(classifier): no such file (--classifier, the attribute classifier)")
        }
    }

    func run() throws {
        let attributes = try chosen
        let names = attributes.map { "interfacegan_\($0.rawValue)" }
        let (loaded, device, sha) = try output.start(names, inputs: [classifier])
        let network = try ResNet18Classifier.load(from: classifier, device: device)
        let fitted = try TestbedDirections.interFaceGAN(loaded.generator, classifier: network, attributes: attributes,
                                                        samples: samples, probes: probes, seed: UInt64(seed), fit: fit,
                                                        device: device)
        try output.write(zip(attributes, names).map { attribute, name in
            let f = fitted[attribute]!
            return (name: name, vector: f.direction.vector,
                    sidecar: DirectionFile.Sidecar(method: "interfacegan", generatorSHA256: sha, std: f.direction.unit,
                                                   samples: samples, validationAccuracy: f.validationAccuracy,
                                                   attributeChange: f.effect?.target, otherAttributesChange: f.effect?.others,
                                                   conditions: f.conditions.isEmpty ? nil : f.conditions.map(\.rawValue)))
        })
        for (attribute, name) in zip(attributes, names) {
            let f = fitted[attribute]!
            let accuracy = f.validationAccuracy.map { String(format: "%.3f", $0) } ?? "—"
            let effect = f.effect.map { String(format: "  per deviation: attribute %+.3f, others %.3f", $0.target, $0.others) }
            print(output.out.file(name + ".npy").padded + "  validation accuracy \(accuracy)" + (effect ?? ""))
        }
    }
}
