import ArgumentParser
import Evaluation
import Foundation
import Inversion
import Testbed

/// `stylegan evaluate`: every method on the same held-out images, the papers' reconstruction table and the edit
/// curves only a testbed can give (`Evaluator`), written as markdown, CSV, JSON and an HTML page with plots.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare inversion methods: reconstruction table, edit curves, grids (markdown, CSV, HTML).",
        discussion: """
            Models come from --models (default Models/testbed64, the shipped testbed set): generator.safetensors \
            (or .pt), one encoder file per method named after it (psp.pt, e4e.safetensors, restyle-psp.pt, ...; \
            fs.pth.tar for Feature-Style) and directions/interfacegan_ATTRIBUTE.npy; --checkpoint and --encoder \
            METHOD=PATH override them. GANI's pivot is the e4e file, as in the paper. Edits without a boundary file \
            have one fitted on generated samples scored by the testbed's attribute classifier. The optimisation and \
            tuning methods' losses use the testbed networks (--networks). --quick: two images, two steps.
            """
    )

    @Option(help: """
        Comma-separated methods (default all): \(EvaluationConfig.allMethods.map(\.rawValue).joined(separator: ",")); \
        e2style:N and restyle-psp:N run N stages or iterations, fs:w+ and clcae:w+ render w+ without the feature, \
        clcae:w its foundation code w alone.
        """)
    var methods: String?

    @Option(help: "testbed:test, testbed:wild or a folder of PNG/JPEG images (no ground truth).")
    var data = "testbed:test"

    @Option(name: [.customLong("out"), .customLong("outdir")], help: "Report folder.")
    var out: OutputFolder

    @Option(help: "Folder of the trained models (generator, encoders, directions).")
    var models = "Models/testbed64"

    @Option(help: "Generator checkpoint (default: the models folder's generator).")
    var checkpoint: String?

    @Option(parsing: .singleValue, help: "An encoder file for a method, METHOD=PATH; repeatable.")
    var encoder: [String] = []

    @Option(help: "Folder of the testbed networks (attributes, lpips, identity, unet).")
    var networks = "Models/testbed"

    @Flag(help: "Two images, two optimisation steps, two edits at three strengths (for tests and a first look).")
    var quick = false

    @Option(parsing: .unconditional, help: "Test images (default 4; quick 2).")
    var count: Int?

    @Option(parsing: .unconditional, help: "Optimisation and tuning steps (default: each method's published count; quick 2).")
    var steps: Int?

    @Option(name: .customLong("pivot-steps"), parsing: .unconditional, help: "Steps of projected tuning pivots.")
    var pivotSteps: Int?

    @Option(help: "Comma-separated edited attributes (default smile,eyesOpen,glasses,yaw).")
    var attributes: String?

    @Option(help: "Comma-separated edit strengths, 0 among them (default -1.5,-1,-0.5,0,0.5,1,1.5).")
    var strengths: String?

    @Option(name: .customLong("direction-samples"), parsing: .unconditional, help: "Samples to fit a missing boundary on.")
    var directionSamples: Int?

    @Option(parsing: .unconditional, help: "Seed of the optimisations and boundary samples.")
    var seed: Int?

    @OptionGroup var device: DeviceOptions

    @OptionGroup var runtime: RuntimeOptions

    /// The evaluation the flags describe, on the quick or standard preset.
    var config: EvaluationConfig {
        get throws {
            var config = quick ? EvaluationConfig.quick : EvaluationConfig.standard
            if let methods {
                config.methods = try methods.split(separator: ",").map { text in
                    do { return try EvaluationEntry(parsing: String(text)) } catch let error as EvaluationError {
                        throw ValidationError("--methods: \(error.description)")
                    }
                }
            }
            if let count { config.count = count }
            if let steps { config.steps = steps }
            if let pivotSteps { config.pivotSteps = pivotSteps }
            if let attributes { config.attributes = try TestbedAttribute.list(attributes) }
            if let strengths {
                config.strengths = try strengths.split(separator: ",").map { text in
                    guard let value = Double(text.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--strengths: \(text) is not a number")
                    }
                    return value
                }
            }
            if let directionSamples { config.directionSamples = directionSamples }
            if let seed {
                guard seed >= 0 else { throw ValidationError("--seed must not be negative") }
                config.seed = UInt64(seed)
            }
            do { try config.validate() } catch let error as EvaluationError { throw ValidationError(error.description) }
            return config
        }
    }

    /// The model files: the models folder's, overridden by --checkpoint and --encoder.
    func modelFiles() throws -> EvaluationModels {
        var (generator, files) = EvaluationModels.folder(models, networks: networks)
        generator = checkpoint ?? generator
        guard let generator else {
            throw ValidationError("no generator: \(models) has no generator.safetensors or generator.pt; give --checkpoint")
        }
        files.generator = generator
        for entry in encoder {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let method = try? EvaluationEntry(parsing: parts[0]).method, method.needsEncoder else {
                throw ValidationError("--encoder \(entry): expected METHOD=PATH with an encoder method")
            }
            files.encoders[method] = parts[1]
        }
        return files
    }

    func validate() throws {
        _ = try config
        if !data.hasPrefix("testbed:") {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: data, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--data \(data): not testbed:SPLIT and no such folder")
            }
        } else if TestbedSplit(rawValue: String(data.dropFirst("testbed:".count))) == nil {
            throw ValidationError("--data \(data): the testbed splits are test, wild and train")
        }
    }

    func run() throws {
        let config = try self.config
        let files = try modelFiles()
        try out.check()
        try runtime.start()
        let device = try self.device.resolve()
        let evaluator: Evaluator
        do {
            evaluator = try Evaluator(config: config, models: files, device: device)
        } catch let error as EvaluationError {
            throw CLIError(error.description)
        }
        let images = try data.hasPrefix("testbed:")
            ? EvaluationImages.testbed(TestbedSplit(rawValue: String(data.dropFirst("testbed:".count)))!, count: config.count,
                                       size: evaluator.size, device: device)
            : EvaluationImages.folder(data, count: config.count, size: evaluator.size, device: device)
        let report = try out.writeAll { scratch in
            let report = try evaluator.run(images, folder: scratch, progress: StageLog().line)
            try report.write(to: scratch)
            return report
        }
        print(report.markdown)
        print("open \(out.file("index.html"))")
    }
}

extension OutputFolder {
    /// Runs `work` on the scratch folder `PATH.partial` beside this one and moves what it wrote in at the end, so that
    /// a failed run leaves no half-written set of files. The scratch folder stays when the work fails: a rerun finds
    /// what the evaluation finished there (`EvaluationCache`) and goes on from it.
    func writeAll<Result>(_ work: (String) throws -> Result) throws -> Result {
        try prepare()
        let scratch = path.hasSuffix("/") ? String(path.dropLast()) + ".partial" : path + ".partial"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let result = try work(scratch)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for name in try FileManager.default.contentsOfDirectory(atPath: scratch) {
            guard rename((scratch as NSString).appendingPathComponent(name), file(name)) == 0 else {
                throw CLIError("cannot move \(name) into \(path): \(CLIError.systemReason(errno))")
            }
        }
        return result
    }
}

/// A long job's stages on stderr, each with the seconds since the first.
final class StageLog {
    private let started = Date()

    func line(_ text: String) {
        guard Progress.style != .silent else { return }
        FileHandle.standardError.write(Data(String(format: "[%5.0f s] %@\n", Date().timeIntervalSince(started), text).utf8))
    }
}

extension TestbedAttribute {
    /// `--attributes smile,yaw` as attributes; an unknown name is refused with the valid ones.
    static func list(_ text: String) throws -> [TestbedAttribute] {
        try text.split(separator: ",").map { name in
            guard let attribute = TestbedAttribute(rawValue: String(name)) else {
                throw ValidationError("--attributes: unknown attribute \(name); choose from "
                    + TestbedAttribute.allCases.map(\.rawValue).joined(separator: ","))
            }
            return attribute
        }
    }
}
